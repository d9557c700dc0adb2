package topic

import (
	"iter"
	"runtime"
	"sync"
	"weak"
)

// table maps canonical text to a weak pointer to the topic's data. Entries
// whose topic was collected are removed by a cleanup.
var table sync.Map // string -> weak.Pointer[data]

type cleanupKey struct {
	text string
	wp   weak.Pointer[data]
}

// Lookup returns the interned topic whose canonical text is text, if one is
// alive (the reference's get_internal_topic).
func Lookup(text string) (Topic, bool) {
	v, ok := table.Load(text)
	if !ok {
		return Topic{}, false
	}
	d := v.(weak.Pointer[data]).Value()
	return Topic{d}, d != nil
}

// Interned iterates the topics currently alive in the intern table (the
// reference's get_internal_map).
func Interned() iter.Seq[Topic] {
	return func(yield func(Topic) bool) {
		table.Range(func(_, v any) bool {
			if d := v.(weak.Pointer[data]).Value(); d != nil {
				return yield(Topic{d})
			}
			return true
		})
	}
}

// intern returns the live topic with canonical text, or builds, stores and
// returns a new one.
func intern(canonical string, build func() (*data, error)) (Topic, error) {
	for {
		if t, ok := Lookup(canonical); ok {
			return t, nil
		}
		d, err := build()
		if err != nil {
			return Topic{}, err
		}
		wp := weak.Make(d)
		old, loaded := table.LoadOrStore(canonical, wp)
		if loaded {
			if od := old.(weak.Pointer[data]).Value(); od != nil {
				return Topic{od}, nil // another goroutine won
			}
			if !table.CompareAndSwap(canonical, old, wp) {
				continue
			}
		}
		runtime.AddCleanup(d, func(k cleanupKey) { table.CompareAndDelete(k.text, k.wp) }, cleanupKey{canonical, wp})
		return Topic{d}, nil
	}
}

package topic

import (
	"iter"
	"sync"
	"sync/atomic"
	"weak"
)

// table maps canonical text to a weak pointer to the topic's data. Entries
// whose topic was collected are swept out by the goroutine whose insert
// finds that the table has grown by as much as it held after the previous
// sweep (and at least sweepMin), so the table stays within about twice the
// live topics plus sweepMin, at an amortised constant cost per insert and
// with no background goroutine. (A runtime cleanup per topic would remove
// entries promptly, but costs more than the whole rest of a parse.)
var table sync.Map // string -> weak.Pointer[data]

var (
	inserts   atomic.Int64 // since the last sweep
	sweepNext atomic.Int64 // inserts that trigger the next sweep
	sweeping  sync.Mutex
)

const sweepMin = 4096

func init() { sweepNext.Store(sweepMin) }

// sweep removes the entries of collected topics.
func sweep() {
	if !sweeping.TryLock() {
		return
	}
	defer sweeping.Unlock()
	live := int64(0)
	table.Range(func(k, v any) bool {
		if v.(weak.Pointer[data]).Value() == nil {
			table.CompareAndDelete(k, v)
		} else {
			live++
		}
		return true
	})
	inserts.Store(0)
	sweepNext.Store(max(live, sweepMin))
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
		if inserts.Add(1) >= sweepNext.Load() {
			sweep()
		}
		return Topic{d}, nil
	}
}

package event

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eventengine/eventengine/topic"
)

// Message is one event: its topic, positional and keyword arguments and the
// sequence id the engine gave it. Messages are passed by value; Args and
// Kwargs are shared, not copied, so handlers must not change them. A hook
// also tells the message it delivers which hook that is, for Param and
// Pattern.
type Message struct {
	Topic  topic.Topic
	Args   []any
	Kwargs map[string]any
	Seq    uint64
	via    *Hook // the hook delivering the message (set by Trigger), or nil
}

// String returns a readable form such as
// `#42 Market.Data.AAPL args=[1 2.5] kwargs={price:1.5 symbol:AAPL}`, with
// keyword arguments sorted by name so that the text is deterministic. Empty
// args or kwargs, and the zero topic, are left out.
func (m Message) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d", m.Seq)
	if t := m.Topic.String(); t != "" {
		b.WriteString(" " + t)
	}
	if len(m.Args) > 0 {
		fmt.Fprintf(&b, " args=%v", m.Args)
	}
	if len(m.Kwargs) > 0 {
		keys := make([]string, 0, len(m.Kwargs))
		for k := range m.Kwargs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString(" kwargs={")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%s:%v", k, m.Kwargs[k])
		}
		b.WriteByte('}')
	}
	return b.String()
}

// Arg returns positional argument i as a T; ok is false when there is no
// such argument (i out of range, never a panic) or it holds another type.
func Arg[T any](m Message, i int) (v T, ok bool) {
	if i < 0 || i >= len(m.Args) {
		return v, false
	}
	v, ok = m.Args[i].(T)
	return v, ok
}

// Kwarg returns keyword argument key as a T; ok is false when it is absent
// or holds another type.
func Kwarg[T any](m Message, key string) (v T, ok bool) {
	a, found := m.Kwargs[key]
	if !found {
		return v, false
	}
	v, ok = a.(T)
	return v, ok
}

package event

import (
	"errors"
	"reflect"
	"sync/atomic"
)

// ErrNotComparable is returned when identity is asked of a handler that has
// none: its dynamic value is not comparable (a func, a struct holding one,
// or a struct whose interface field holds one); see Comparable.
var ErrNotComparable = errors.New("handler is not comparable")

// ErrNilHandler is returned for a nil handler: by AddUnique, and wrapped
// by the engine's registrations.
var ErrNilHandler = errors.New("nil handler")

// Handler receives messages.
type Handler interface{ Handle(Message) }

// HandlerFunc adapts a func to Handler. Func values are not comparable: a
// HandlerFunc is identified only by the ID its registration returned.
type HandlerFunc func(Message)

// Handle calls f(m).
func (f HandlerFunc) Handle(m Message) { f(m) }

// ID identifies one registration of a handler in a hook. IDs are unique in
// the process and never 0.
type ID uint64

// lastID is the process-wide source of IDs.
var lastID atomic.Uint64

func nextID() ID { return ID(lastID.Add(1)) }

// Comparable reports whether handler has an identity: whether == on it can
// never panic. That takes more than a comparable type: a struct whose
// interface field holds a func has a comparable type, but == on it panics,
// so the dynamic value is inspected. A nil handler has no identity.
func Comparable(handler Handler) bool {
	return handler != nil && reflect.ValueOf(handler).Comparable()
}

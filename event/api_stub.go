// API CONTRACT (stub). The implementer replaces this file with the real
// implementation (message.go, hook.go, stats.go, ...). Names and signatures
// below are fixed: the engine and the command compile against them.

// Package event holds the message that flows through the engine and the hook
// that delivers it to handlers.
package event

import (
	"errors"
	"iter"
	"log/slog"
	"time"

	"github.com/eventengine/eventengine/topic"
)

// ErrNotComparable is returned when identity is asked of a handler whose
// dynamic type is not comparable (a func, or a struct holding one).
var ErrNotComparable = errors.New("handler is not comparable")

// Message is one event: its topic, positional and keyword arguments and the
// sequence id the engine gave it. Messages are passed by value.
type Message struct {
	Topic  topic.Topic
	Args   []any
	Kwargs map[string]any
	Seq    uint64
}

func (m Message) String() string { return "" }

// Arg returns argument i as a T; ok is false when absent or of another type.
func Arg[T any](m Message, i int) (v T, ok bool) { return v, false }

// Kwarg returns keyword argument key as a T; ok is false when absent or of another type.
func Kwarg[T any](m Message, key string) (v T, ok bool) { return v, false }

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

// Stats are the statistics of one registration.
type Stats struct {
	ID     ID
	Calls  uint64
	Panics uint64
	Total  time.Duration
}

// Mean is Total/Calls (0 when no calls).
func (s Stats) Mean() time.Duration { return 0 }

// Option configures a Hook.
type Option func(*hookConfig)

type hookConfig struct{}

// WithLogger sets the hook's logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return nil }

// WithStats makes an extended hook that times every handler call.
func WithStats() Option { return nil }

// Hook is the list of handlers of one topic.
type Hook struct{}

// NewHook returns an empty hook for t.
func NewHook(t topic.Topic, opts ...Option) *Hook { return nil }

func (h *Hook) Topic() topic.Topic                                       { return topic.Topic{} }
func (h *Hook) Logger() *slog.Logger                                     { return nil }
func (h *Hook) SetLogger(l *slog.Logger)                                 {}
func (h *Hook) HasStats() bool                                           { return false }
func (h *Hook) Add(handler Handler) ID                                   { return 0 }
func (h *Hook) AddFunc(f func(Message)) ID                               { return 0 }
func (h *Hook) AddUnique(handler Handler) (id ID, added bool, err error) { return 0, false, nil }
func (h *Hook) Remove(id ID) bool                                        { return false }
func (h *Hook) RemoveHandler(handler Handler) (bool, error)              { return false, nil }
func (h *Hook) Contains(handler Handler) bool                            { return false }
func (h *Hook) Has(id ID) bool                                           { return false }
func (h *Hook) Len() int                                                 { return 0 }
func (h *Hook) Handlers() iter.Seq2[ID, Handler]                         { return func(func(ID, Handler) bool) {} }
func (h *Hook) Clear()                                                   {}
func (h *Hook) Trigger(m Message)                                        {}
func (h *Hook) Panics() uint64                                           { return 0 }
func (h *Hook) Stats(id ID) (Stats, bool)                                { return Stats{}, false }
func (h *Hook) StatsOf(handler Handler) (Stats, bool)                    { return Stats{}, false }
func (h *Hook) AllStats() iter.Seq2[Handler, Stats]                      { return func(func(Handler, Stats) bool) {} }
func (h *Hook) Totals() Stats                                            { return Stats{} }

package event

import (
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"reflect"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventengine/eventengine/internal/clock"
	"github.com/eventengine/eventengine/topic"
)

// ErrNotComparable is returned when identity is asked of a handler whose
// dynamic type is not comparable (a func, or a struct holding one).
var ErrNotComparable = errors.New("handler is not comparable")

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

var lastID atomic.Uint64

// Option configures a Hook.
type Option func(*Hook)

// WithLogger sets the hook's logger (default slog.Default(), looked up when
// a record is written).
func WithLogger(l *slog.Logger) Option { return func(h *Hook) { h.logger.Store(l) } }

// WithStats makes an extended hook (the reference's EventHookEx): it counts
// and times every handler call.
func WithStats() Option { return func(h *Hook) { h.stats = true } }

// entry is one registration. Its counters are updated atomically because
// Trigger may run on several goroutines.
type entry struct {
	h          Handler
	id         ID
	comparable bool
	calls      atomic.Uint64
	panics     atomic.Uint64
	nanos      atomic.Int64
}

// Hook is the list of handlers of one topic. All methods are safe for
// concurrent use, including from inside a handler of the same hook.
//
// Trigger takes no lock: it reads an immutable snapshot of the handler list,
// and writers replace the snapshot (copy on write) under a mutex.
type Hook struct {
	topic    topic.Topic
	stats    bool
	handlers atomic.Pointer[snapshot]
	logger   atomic.Pointer[slog.Logger]
	mu       sync.Mutex // serialises writers

	panics atomic.Uint64
	// totals of removed registrations, so Totals covers the hook's lifetime
	goneCalls uint64
	goneNanos int64
}

// NewHook returns an empty hook for t.
func NewHook(t topic.Topic, opts ...Option) *Hook {
	h := &Hook{topic: t}
	for _, o := range opts {
		if o != nil {
			o(h)
		}
	}
	h.handlers.Store(&snapshot{})
	return h
}

// Topic returns the hook's topic.
func (h *Hook) Topic() topic.Topic { return h.topic }

// Logger returns the hook's logger.
func (h *Hook) Logger() *slog.Logger {
	if l := h.logger.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// SetLogger sets the hook's logger; nil restores slog.Default().
func (h *Hook) SetLogger(l *slog.Logger) { h.logger.Store(l) }

// HasStats reports whether the hook is an extended hook that times calls.
func (h *Hook) HasStats() bool { return h.stats }

// snapshot is an immutable handler list. fns repeats the handlers of
// entries so that a plain trigger reads them without a pointer chase.
type snapshot struct {
	entries []*entry
	fns     []Handler
}

func (h *Hook) list() []*entry { return h.handlers.Load().entries }

// update replaces the handler list with f(copy of the list); the caller
// holds mu. The counters of registrations it drops go to the hook's totals.
func (h *Hook) update(f func([]*entry) []*entry) {
	old := h.list()
	next := f(slices.Clone(old))
	fns := make([]Handler, len(next))
	for i, e := range next {
		fns[i] = e.h
	}
	h.handlers.Store(&snapshot{entries: next, fns: fns})
	for _, e := range old {
		if !slices.Contains(next, e) {
			h.goneCalls += e.calls.Load()
			h.goneNanos += e.nanos.Load()
		}
	}
}

func newEntry(handler Handler) *entry {
	return &entry{h: handler, id: ID(lastID.Add(1)), comparable: reflect.TypeOf(handler).Comparable()}
}

// Add appends handler and returns the ID of this registration. The same
// handler may be added more than once; each registration is called. A nil
// handler is not added and gets the invalid ID 0.
func (h *Hook) Add(handler Handler) ID {
	if handler == nil {
		return 0
	}
	e := newEntry(handler)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.update(func(l []*entry) []*entry { return append(l, e) })
	return e.id
}

// AddFunc appends f and returns the ID of this registration.
func (h *Hook) AddFunc(f func(Message)) ID { return h.Add(HandlerFunc(f)) }

// AddUnique appends handler unless the hook already holds it (compared with
// ==), the reference's deduplicate=True. It returns the ID of the new or
// existing registration and whether it added one. A handler of a
// non-comparable type gets ErrNotComparable.
func (h *Hook) AddUnique(handler Handler) (id ID, added bool, err error) {
	if handler == nil {
		return 0, false, fmt.Errorf("hook %q: add of a nil handler", h.topic.String())
	}
	e := newEntry(handler)
	if !e.comparable {
		return 0, false, fmt.Errorf("hook %q: de-duplicating %T: %w", h.topic.String(), handler, ErrNotComparable)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if old := h.find(handler); old != nil {
		return old.id, false, nil
	}
	h.update(func(l []*entry) []*entry { return append(l, e) })
	return e.id, true, nil
}

// find returns the first registration of a comparable handler.
func (h *Hook) find(handler Handler) *entry {
	for _, e := range h.list() {
		if e.comparable && e.h == handler {
			return e
		}
	}
	return nil
}

// Remove removes the registration id and reports whether it was there.
func (h *Hook) Remove(id ID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := slices.IndexFunc(h.list(), func(e *entry) bool { return e.id == id })
	if i < 0 {
		return false
	}
	h.update(func(l []*entry) []*entry { return slices.Delete(l, i, i+1) })
	return true
}

// RemoveHandler removes the first registration of handler (compared with
// ==), as the reference's remove_handler, and reports whether there was
// one. A handler of a non-comparable type gets ErrNotComparable: remove it
// by ID.
func (h *Hook) RemoveHandler(handler Handler) (bool, error) {
	if handler == nil || !reflect.TypeOf(handler).Comparable() {
		return false, fmt.Errorf("hook %q: removing %T: %w (remove it by ID)", h.topic.String(), handler, ErrNotComparable)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.find(handler)
	if e == nil {
		return false, nil
	}
	h.update(func(l []*entry) []*entry {
		return slices.DeleteFunc(l, func(x *entry) bool { return x == e })
	})
	return true, nil
}

// Contains reports whether handler is registered (compared with ==); always
// false for a handler of a non-comparable type.
func (h *Hook) Contains(handler Handler) bool {
	if handler == nil || !reflect.TypeOf(handler).Comparable() {
		return false
	}
	return h.find(handler) != nil
}

// Has reports whether the registration id is in the hook.
func (h *Hook) Has(id ID) bool {
	return slices.ContainsFunc(h.list(), func(e *entry) bool { return e.id == id })
}

// Len returns the number of registrations.
func (h *Hook) Len() int { return len(h.list()) }

// Handlers iterates the registrations in call order.
func (h *Hook) Handlers() iter.Seq2[ID, Handler] {
	return func(yield func(ID, Handler) bool) {
		for _, e := range h.list() {
			if !yield(e.id, e.h) {
				return
			}
		}
	}
}

// Clear removes every registration.
func (h *Hook) Clear() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.update(func([]*entry) []*entry { return nil })
}

// Trigger calls every handler with m, in registration order. A trigger
// calls exactly the handlers registered when it started: a handler removed
// meanwhile (even by an earlier handler of the same trigger) is still
// called by it, one added meanwhile is not; the next trigger sees the
// change. A handler that panics is recovered and logged, the panic is
// counted, and the remaining handlers still run.
func (h *Hook) Trigger(m Message) {
	s := h.handlers.Load()
	if h.stats {
		for i := 0; i < len(s.entries); {
			i = h.runTimed(s.entries, i, &m)
		}
		return
	}
	for i := 0; i < len(s.fns); {
		i = h.run(s, i, &m)
	}
}

// run calls l[i:] until one panics; it returns the index to go on from. One
// deferred recover covers the whole run, so a trigger pays for it once.
func (h *Hook) run(s *snapshot, i int, m *Message) (next int) {
	defer func() {
		if r := recover(); r != nil {
			h.recovered(s.entries[next], m, r)
			next++
		}
	}()
	fns := s.fns
	for next = i; next < len(fns); next++ {
		fns[next].Handle(*m)
	}
	return next
}

// runTimed is run for an extended hook: the end of one call is the start of
// the next, so n handlers read the clock n+1 times.
func (h *Hook) runTimed(l []*entry, i int, m *Message) (next int) {
	t0 := clock.Nanotime()
	defer func() {
		if r := recover(); r != nil {
			e := l[next]
			e.calls.Add(1)
			e.nanos.Add(clock.Nanotime() - t0)
			h.recovered(e, m, r)
			next++
		}
	}()
	for next = i; next < len(l); next++ {
		e := l[next]
		e.h.Handle(*m)
		t1 := clock.Nanotime()
		e.calls.Add(1)
		e.nanos.Add(t1 - t0)
		t0 = t1
	}
	return next
}

func (h *Hook) recovered(e *entry, m *Message, r any) {
	e.panics.Add(1)
	h.panics.Add(1)
	h.Logger().Error("eventengine: handler panicked",
		slog.String("topic", m.Topic.String()),
		slog.Uint64("seq", m.Seq),
		slog.Uint64("handler_id", uint64(e.id)),
		slog.String("handler", fmt.Sprintf("%T", e.h)),
		slog.Any("panic", r),
		slog.String("stack", string(debug.Stack())))
}

// Panics returns the number of handler panics the hook has recovered.
func (h *Hook) Panics() uint64 { return h.panics.Load() }

// Stats are the statistics of one registration (or, from Totals, of the
// whole hook).
type Stats struct {
	ID     ID            // the registration (0 in Totals)
	Calls  uint64        // completed or panicked calls (extended hooks only)
	Panics uint64        // recovered panics
	Total  time.Duration // time spent in the handler (extended hooks only)
}

// Mean returns Total/Calls, or 0 before the first call.
func (s Stats) Mean() time.Duration {
	if s.Calls == 0 {
		return 0
	}
	return s.Total / time.Duration(s.Calls)
}

func (e *entry) stats() Stats {
	return Stats{ID: e.id, Calls: e.calls.Load(), Panics: e.panics.Load(), Total: time.Duration(e.nanos.Load())}
}

// Stats returns the statistics of registration id.
func (h *Hook) Stats(id ID) (Stats, bool) {
	for _, e := range h.list() {
		if e.id == id {
			return e.stats(), true
		}
	}
	return Stats{}, false
}

// StatsOf returns the statistics of the first registration of handler
// (compared with ==; false for a non-comparable handler).
func (h *Hook) StatsOf(handler Handler) (Stats, bool) {
	if handler == nil || !reflect.TypeOf(handler).Comparable() {
		return Stats{}, false
	}
	if e := h.find(handler); e != nil {
		return e.stats(), true
	}
	return Stats{}, false
}

// AllStats iterates (handler, statistics) pairs in registration order (the
// reference's stats).
func (h *Hook) AllStats() iter.Seq2[Handler, Stats] {
	return func(yield func(Handler, Stats) bool) {
		for _, e := range h.list() {
			if !yield(e.h, e.stats()) {
				return
			}
		}
	}
}

// Totals returns the hook's lifetime totals: calls, time and panics of all
// its handlers, including handlers removed since.
func (h *Hook) Totals() Stats {
	h.mu.Lock()
	s := Stats{Calls: h.goneCalls, Panics: h.panics.Load(), Total: time.Duration(h.goneNanos)}
	l := h.list()
	h.mu.Unlock()
	for _, e := range l {
		s.Calls += e.calls.Load()
		s.Total += time.Duration(e.nanos.Load())
	}
	return s
}

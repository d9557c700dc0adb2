package event

import (
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventengine/eventengine/internal/ticks"
	"github.com/eventengine/eventengine/topic"
)

// entry is one registration. It never changes after it is published except
// for its counters, which are atomic because Trigger may run on several
// goroutines at once.
type entry struct {
	h          Handler // the registration's identity (Contains, RemoveHandler, Handlers)
	fn         Handler // what a trigger calls: h, or what AddCalling gave in its place
	id         ID
	name       string // for logs and Stats: given, or from the handler
	comparable bool   // Comparable(h), computed once at Add
	calls      atomic.Uint64
	panics     atomic.Uint64
	errors     atomic.Uint64 // errors returned (AddErrorFunc)
	ticks      atomic.Int64  // ticks.Ticks, converted when read
	lat        *latency      // extended hooks only (latency.go); set before the entry is published
	// the logging of its panics and of its errors (see WithPanicLog)
	panicLog, errorLog storm
}

func newEntry(handler Handler) *entry {
	return &entry{h: handler, fn: handler, id: nextID(), comparable: Comparable(handler), name: HandlerName(handler)}
}

// snapshot is an immutable handler list. fns repeats the handlers of
// entries so that a plain trigger reads them without a pointer chase; funcs
// repeats them once more as funcs when every one is a HandlerFunc (what
// RegisterFunc and Subscribe register), so that a plain trigger calls each
// with one indirect call instead of the interface's method and then the
// func (BenchmarkTrigger10Funcs: about a third less). A method value of
// another Handler would add a call instead (BenchmarkTrigger10), so a list
// with any other Handler has none.
type snapshot struct {
	entries []*entry
	fns     []Handler
	funcs   []func(Message)
}

var emptySnapshot = &snapshot{}

// Hook is the list of handlers of one topic. All methods are safe for
// concurrent use, including from inside a handler of the same hook. Make
// hooks with NewHook; the zero Hook is a plain hook with the zero topic and
// the default logger.
//
// Trigger takes no lock: it reads an immutable snapshot of the handler list,
// and writers replace the snapshot (copy on write) under a mutex.
type Hook struct {
	handlers atomic.Pointer[snapshot]
	topic    topic.Topic
	params   []param // the named wildcards of topic, for Message.Param
	stats    bool
	// slow-call warnings (WithSlowHandler): the threshold, and it and the
	// least time between two warnings in clock ticks (0: no warnings)
	slow                 time.Duration
	slowTicks, warnTicks int64
	plog                 panicLog
	logger               atomic.Pointer[slog.Logger]
	mu                   sync.Mutex // serialises writers

	// Lifetime counters (see Totals). panics is kept by every hook; calls
	// and nanos only by an extended hook, added once per trigger.
	panics atomic.Uint64
	errors atomic.Uint64
	calls  atomic.Uint64
	ticks  atomic.Int64 // ticks.Ticks, converted when read
}

// NewHook returns an empty hook for t.
func NewHook(t topic.Topic, opts ...Option) *Hook {
	c := hookConfig{panics: defaultPanicLog}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.stats {
		ticks.Init() // decides once what ticks.Ticks reads (about 0.1 ms)
	}
	h := &Hook{topic: t, params: paramsOf(t), stats: c.stats, slow: c.slow, plog: c.panics}
	if c.slow > 0 {
		h.slowTicks, h.warnTicks = nanosToTicks(c.slow), nanosToTicks(slowWarnEvery)
	}
	h.logger.Store(c.logger)
	h.handlers.Store(emptySnapshot)
	return h
}

// Topic returns the hook's topic.
func (h *Hook) Topic() topic.Topic { return h.topic }

// Logger returns the hook's logger: the one set by WithLogger or SetLogger,
// or else slog.Default() as it is now.
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

func (h *Hook) list() []*entry {
	if s := h.handlers.Load(); s != nil {
		return s.entries
	}
	return nil // the zero Hook
}

// publish makes l the handler list; the caller holds mu and l is a fresh
// slice that nobody else holds.
func (h *Hook) publish(l []*entry) {
	if len(l) == 0 {
		h.handlers.Store(emptySnapshot)
		return
	}
	fns := make([]Handler, len(l))
	funcs := make([]func(Message), len(l))
	for i, e := range l {
		fns[i] = e.fn
		if f, ok := e.fn.(HandlerFunc); ok && f != nil && funcs != nil {
			funcs[i] = f
		} else {
			funcs = nil
		}
		if h.stats && e.lat == nil {
			e.lat = new(latency) // a new entry, not yet published
		}
	}
	h.handlers.Store(&snapshot{entries: l, fns: fns, funcs: funcs})
}

// removeAt publishes the list without its i-th entry; the caller holds mu.
func (h *Hook) removeAt(i int) {
	old := h.list()
	l := make([]*entry, 0, len(old)-1)
	l = append(l, old[:i]...)
	h.publish(append(l, old[i+1:]...))
}

// Add appends handler and returns the ID of this registration. The same
// handler may be added more than once; each registration is called, and
// each has its own ID. A nil handler is not added and gets the invalid ID 0.
func (h *Hook) Add(handler Handler) ID {
	if handler == nil {
		return 0
	}
	return h.insert(newEntry(handler))
}

// insert appends e and returns its ID.
func (h *Hook) insert(e *entry) ID {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.publish(append(slices.Clip(h.list()), e))
	return e.id
}

// AddFunc appends f and returns the ID of this registration, the only way
// to remove it. A nil f is not added and gets the invalid ID 0.
func (h *Hook) AddFunc(f func(Message)) ID {
	if f == nil {
		return 0
	}
	return h.Add(HandlerFunc(f))
}

// AddUnique appends handler unless the hook already holds it (compared with
// ==), the reference's add_handler(deduplicate=True). It returns the ID of
// the new or existing registration and whether it added one. A handler
// without an identity (see Comparable) is not added: the error wraps
// ErrNotComparable (or ErrNilHandler) and names the hook's topic.
func (h *Hook) AddUnique(handler Handler) (id ID, added bool, err error) {
	if handler == nil {
		return 0, false, fmt.Errorf("hook %q: AddUnique: %w", h.topic.String(), ErrNilHandler)
	}
	e := newEntry(handler)
	if !e.comparable {
		return 0, false, fmt.Errorf("hook %q: AddUnique of %T: %w (use Add and keep the ID)", h.topic.String(), handler, ErrNotComparable)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.list()
	if i := find(l, handler); i >= 0 {
		return l[i].id, false, nil
	}
	h.publish(append(slices.Clip(l), e))
	return e.id, true, nil
}

// AddCalling registers handler, as Add does, but calls call in its place:
// the registration keeps handler's identity (Contains, RemoveHandler,
// AddUnique, Handlers and AllStats see handler) and name, and call's errors
// are logged and counted as the handler's (as AddErrorFunc's). With unique,
// it adds nothing if the hook already holds handler, as AddUnique. It is
// how an engine wraps a handler in middleware without changing what the
// reference-shaped calls compare.
func (h *Hook) AddCalling(handler Handler, call func(Message) error, unique bool) (id ID, added bool, err error) {
	if handler == nil || call == nil {
		return 0, false, fmt.Errorf("hook %q: AddCalling: %w", h.topic.String(), ErrNilHandler)
	}
	e := newEntry(handler)
	if unique && !e.comparable {
		return 0, false, fmt.Errorf("hook %q: AddUnique of %T: %w (use Add and keep the ID)", h.topic.String(), handler, ErrNotComparable)
	}
	c := &errorCall{hook: h, f: call, e: e}
	e.fn = c
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.list()
	if unique {
		if i := find(l, handler); i >= 0 {
			return l[i].id, false, nil
		}
	}
	h.publish(append(slices.Clip(l), e))
	return e.id, true, nil
}

// find returns the index in l of the first registration of handler, which
// has an identity, or -1.
func find(l []*entry, handler Handler) int {
	for i, e := range l {
		if e.comparable && e.h == handler {
			return i
		}
	}
	return -1
}

// Remove removes the registration id and reports whether it was there.
// Other registrations of the same handler stay.
func (h *Hook) Remove(id ID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := slices.IndexFunc(h.list(), func(e *entry) bool { return e.id == id })
	if i < 0 {
		return false
	}
	h.removeAt(i)
	return true
}

// RemoveHandler removes the first registration of handler (compared with
// ==), as the reference's remove_handler does, and reports whether there
// was one. A handler without an identity (see Comparable) gets an error
// wrapping ErrNotComparable: remove it by ID. A nil handler is never
// registered, so removing it gives false and no error.
func (h *Hook) RemoveHandler(handler Handler) (bool, error) {
	if handler == nil {
		return false, nil
	}
	if !Comparable(handler) {
		return false, fmt.Errorf("hook %q: RemoveHandler of %T: %w (remove it by ID)", h.topic.String(), handler, ErrNotComparable)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	i := find(h.list(), handler)
	if i < 0 {
		return false, nil
	}
	h.removeAt(i)
	return true, nil
}

// Contains reports whether handler is registered (compared with ==); it is
// always false for a handler without an identity (see Comparable).
func (h *Hook) Contains(handler Handler) bool {
	return Comparable(handler) && find(h.list(), handler) >= 0
}

// Has reports whether the registration id is in the hook.
func (h *Hook) Has(id ID) bool {
	return slices.ContainsFunc(h.list(), func(e *entry) bool { return e.id == id })
}

// Len returns the number of registrations.
func (h *Hook) Len() int { return len(h.list()) }

// Handlers iterates the registrations in call order, over the snapshot
// taken when the iteration starts.
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
	h.publish(nil)
}

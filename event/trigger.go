package event

import (
	"github.com/eventengine/eventengine/internal/ticks"
)

// Trigger calls every handler with m, in registration order.
//
// A trigger calls exactly the handlers that were registered when it
// started: a handler removed meanwhile (even by an earlier handler of the
// same trigger, or by itself) is still called by it, and one added
// meanwhile is not; the next trigger sees the change. Handlers may be added
// and removed from any goroutine, and from inside handlers, while triggers
// run; Trigger takes no lock.
//
// A handler that panics is recovered: the panic is counted in Panics and
// in the handler's Stats, logged at Error level through the hook's logger
// (see the package doc, Panic storms), and the remaining handlers still
// run. A handler that calls runtime.Goexit (for example t.FailNow in a
// test) ends its own call: the remaining handlers still run, from the
// deferred calls of the goroutine that is exiting, and then the goroutine
// ends as runtime.Goexit demands.
//
// An extended hook (WithStats) also counts and times each call, whether it
// returned, panicked or exited; a plain hook reads no clock.
func (h *Hook) Trigger(m Message) {
	s := h.handlers.Load()
	if s == nil || len(s.entries) == 0 {
		return // the zero Hook, or no handlers
	}
	m.via = h // for Message.Param and Pattern
	if h.stats {
		var t tally
		h.run(s, 0, &m, &t)
		h.flush(&t)
		return
	}
	// run's plain loop, written out here with its deferred call: going
	// through run (one more call, the branches of the timed path) costs a
	// plain trigger measurably more (BenchmarkTrigger1, BenchmarkTrigger10).
	i := 0
	defer func() {
		if i < len(s.fns) {
			h.stopped(s, i, &m, nil, 0, recover())
		}
	}()
	if funcs := s.funcs; funcs != nil {
		for ; i < len(funcs); i++ {
			funcs[i](m)
		}
		return
	}
	for fns := s.fns; i < len(fns); i++ {
		fns[i].Handle(m)
	}
}

// Handle is Trigger, so that a *Hook is a Handler (the reference's
// __call__): a hook can be registered in another hook, for example to tap
// a topic's messages into a second set of handlers. A hook that reaches
// itself through its handlers recurses without end, as does any handler
// that triggers its own hook.
func (h *Hook) Handle(m Message) { h.Trigger(m) }

// tally is what an extended hook's trigger adds to the hook's lifetime
// totals once, when it ends.
type tally struct {
	calls uint64
	ticks int64
}

// flush adds t to the hook's lifetime totals (extended hooks only; t is
// nil for a plain hook).
func (h *Hook) flush(t *tally) {
	if h.stats && t != nil {
		h.calls.Add(t.calls)
		h.ticks.Add(t.ticks)
	}
}

// run calls the handlers of s from index i on, in order. One deferred
// call covers the whole run, so a trigger whose handlers return pays for
// one defer, not one per handler (BenchmarkTrigger1, BenchmarkTrigger10);
// the deferred closure tests next itself, so such a trigger makes no
// further call. When a handler does not return, the deferred call goes on
// with the handlers after it (see stopped), so the stack logged for a
// later panic of the same trigger also shows the frames of the earlier one.
//
// An extended hook times calls in ticks.Ticks (the CPU's time-stamp counter
// where usable, converted to nanoseconds when the statistics are read).
// The end of one call is the start of the next, so n handlers read the
// counter n+1 times. A difference that comes out negative (readings on two
// CPUs whose counters disagree) counts as 0, so the counters never go
// down.
func (h *Hook) run(s *snapshot, i int, m *Message, t *tally) {
	next := i
	var t0 int64
	if h.stats {
		t0 = ticks.Ticks()
	}
	defer func() {
		if next < len(s.entries) {
			h.stopped(s, next, m, t, t0, recover())
		}
	}()
	if h.stats {
		for ; next < len(s.entries); next++ {
			e := s.entries[next]
			e.fn.Handle(*m)
			t0 = e.account(h, t, t0)
		}
		return
	}
	if funcs := s.funcs; funcs != nil {
		for ; next < len(funcs); next++ {
			funcs[next](*m)
		}
		return
	}
	for fns := s.fns; next < len(fns); next++ {
		fns[next].Handle(*m)
	}
}

// account adds a call of e, a registration of h, that started at t0 to
// e's statistics (and latency record) and to t, and returns the tick
// reading that ends it.
func (e *entry) account(h *Hook, t *tally, t0 int64) int64 {
	t1 := ticks.Ticks()
	d := max(t1-t0, 0)
	e.calls.Add(1)
	e.ticks.Add(d)
	if l := e.lat; l != nil {
		l.record(h, e, t0, t1, d)
	}
	t.calls++
	t.ticks += d
	return t1
}

// stopped handles handler i of s, which did not return: it panicked with
// r, or it called runtime.Goexit (r is nil: since Go 1.21 panic(nil)
// panics with a *runtime.PanicNilError). For an extended hook its call
// started at t0 and t is the trigger's tally (nil for a plain hook). A panic is counted and logged. Either way the handlers after it
// are called from here; after a Goexit, which cannot be stopped, the
// totals are also added here, before the goroutine ends.
func (h *Hook) stopped(s *snapshot, i int, m *Message, t *tally, t0 int64, r any) {
	e := s.entries[i]
	if h.stats {
		e.account(h, t, t0)
	}
	if r != nil {
		h.recovered(e, m, r)
	}
	if i+1 < len(s.entries) {
		h.run(s, i+1, m, t)
	}
	if r == nil {
		h.flush(t)
	}
}

// Panics returns the number of handler panics the hook has recovered in its
// lifetime, including those of handlers removed since.
func (h *Hook) Panics() uint64 { return h.panics.Load() }

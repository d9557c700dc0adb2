package event

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/eventengine/eventengine/internal/clock"
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
// A handler that panics is recovered: the panic is logged at Error level
// through the hook's logger (with the topic, the handler's ID and type, the
// panic value and the stack), counted in Panics and in the handler's
// Stats, and the remaining handlers still run. A handler that calls
// runtime.Goexit ends the trigger, and its goroutine, as it would anywhere.
//
// An extended hook (WithStats) also counts and times each call; a plain
// hook reads no clock.
func (h *Hook) Trigger(m Message) {
	s := h.handlers.Load()
	if s == nil {
		return // the zero Hook
	}
	if h.stats {
		h.triggerTimed(s.entries, &m)
		return
	}
	fns := s.fns
	if len(fns) == 0 {
		return
	}
	// One deferred recover covers the whole loop, so a trigger pays for it
	// once, not once per handler. The deferred closure tests i itself, so
	// that a trigger whose handlers all return makes no further call.
	i := 0
	defer func() {
		if i < len(s.fns) {
			h.afterPanic(s, i, &m, recover())
		}
	}()
	for ; i < len(fns); i++ {
		fns[i].Handle(m)
	}
}

// Handle is Trigger, so that a *Hook is a Handler (the reference's
// __call__): a hook can be registered in another hook, for example to tap
// a topic's messages into a second set of handlers. A hook that reaches
// itself through its handlers recurses without end, as does any handler
// that triggers its own hook.
func (h *Hook) Handle(m Message) { h.Trigger(m) }

// afterPanic is called by Trigger's deferred closure, for a plain hook,
// when handler i did not return: it panicked with r, or it called
// runtime.Goexit (then r is nil and nothing more is called). After a panic
// it logs it and calls the handlers after that one, from inside the
// deferred call (so the stack logged for a second panic in the same
// trigger also shows the first one's frames).
func (h *Hook) afterPanic(s *snapshot, i int, m *Message, r any) {
	if r == nil {
		return
	}
	h.recovered(s.entries[i], m, r)
	for i++; i < len(s.fns); {
		i = h.run(s.fns, i, s.entries, m)
	}
}

// run calls fns[i:] until one panics; it logs the panic and returns the
// index to go on from.
func (h *Hook) run(fns []Handler, i int, l []*entry, m *Message) (next int) {
	next = i
	defer func() {
		if next < len(fns) {
			if r := recover(); r != nil {
				h.recovered(l[next], m, r)
				next++
			}
		}
	}()
	for ; next < len(fns); next++ {
		fns[next].Handle(*m)
	}
	return next
}

// triggerTimed is Trigger for an extended hook. It times calls in
// clock.Ticks (the CPU's time-stamp counter where usable, converted to
// nanoseconds when the statistics are read). The end of one call is the
// start of the next, so n handlers read the counter n+1 times. The hook's
// lifetime totals are added once, when the trigger ends. A difference that
// comes out negative (readings on two CPUs whose counters disagree) counts
// as 0, so the counters never go down.
func (h *Hook) triggerTimed(l []*entry, m *Message) {
	if len(l) == 0 {
		return
	}
	i := 0
	start := clock.Ticks()
	t0 := start
	defer func() {
		calls, ticks := uint64(i), max(t0-start, 0)
		if i < len(l) {
			if r := recover(); r != nil {
				c, n := h.afterPanicTimed(l, i, m, r, t0)
				calls += c
				ticks += n
			}
		}
		h.calls.Add(calls)
		h.ticks.Add(ticks)
	}()
	for ; i < len(l); i++ {
		e := l[i]
		e.h.Handle(*m)
		t1 := clock.Ticks()
		e.calls.Add(1)
		e.ticks.Add(max(t1-t0, 0))
		t0 = t1
	}
}

// afterPanicTimed accounts and logs the panic r of handler i of a timed
// trigger (its call started at t0), then calls the handlers after it. It
// returns the calls and time it accounted.
func (h *Hook) afterPanicTimed(l []*entry, i int, m *Message, r any, t0 int64) (calls uint64, ticks int64) {
	e := l[i]
	d := max(clock.Ticks()-t0, 0)
	e.calls.Add(1)
	e.ticks.Add(d)
	h.recovered(e, m, r)
	calls, ticks = 1, d
	for i++; i < len(l); {
		i = h.runTimed(l, i, m, &calls, &ticks)
	}
	return calls, ticks
}

// runTimed is run for an extended hook; it adds the calls and time it
// accounts to *calls and *ticks.
func (h *Hook) runTimed(l []*entry, i int, m *Message, calls *uint64, ticks *int64) (next int) {
	next = i
	t0 := clock.Ticks()
	defer func() {
		if next < len(l) {
			if r := recover(); r != nil {
				e := l[next]
				d := max(clock.Ticks()-t0, 0)
				e.calls.Add(1)
				e.ticks.Add(d)
				*calls++
				*ticks += d
				h.recovered(e, m, r)
				next++
			}
		}
	}()
	for ; next < len(l); next++ {
		e := l[next]
		e.h.Handle(*m)
		t1 := clock.Ticks()
		d := max(t1-t0, 0)
		e.calls.Add(1)
		e.ticks.Add(d)
		*calls++
		*ticks += d
		t0 = t1
	}
	return next
}

// recovered counts and logs the panic r of registration e.
func (h *Hook) recovered(e *entry, m *Message, r any) {
	e.panics.Add(1)
	h.panics.Add(1)
	h.Logger().Error("eventengine: handler panicked",
		slog.String("topic", m.Topic.String()),
		slog.String("hook", h.topic.String()),
		slog.Uint64("seq", m.Seq),
		slog.Uint64("handler_id", uint64(e.id)),
		slog.String("handler", fmt.Sprintf("%T", e.h)),
		slog.Any("panic", r),
		slog.String("stack", string(debug.Stack())))
}

// Panics returns the number of handler panics the hook has recovered in its
// lifetime, including those of handlers removed since.
func (h *Hook) Panics() uint64 { return h.panics.Load() }

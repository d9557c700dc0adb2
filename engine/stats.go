package engine

import "github.com/eventengine/eventengine/topic"

// Stats is a snapshot of an engine's counters. Counters are read one at a
// time while messages flow, so they are consistent with each other only when
// the engine is stopped and no put is under way: then
// Accepted == Delivered + Taken + Queued.
type Stats struct {
	Running  bool   // the dispatch loop is running
	Capacity int    // queue capacity
	Queued   int    // messages in the queue now
	Accepted uint64 // messages accepted by a put since the engine was made
	// Delivered counts messages the loop has taken for dispatch (including
	// the one in hand).
	Delivered uint64
	Taken     uint64 // messages taken by Get / TryGet
	Refused   uint64 // puts refused: full (non-blocking), closed, not exact, ctx ended
	Waited    uint64 // blocking puts that found the queue full and had to wait
	// FullOnLoop counts puts from a handler that found the queue full and
	// returned ErrFull rather than wait for the loop they run on.
	FullOnLoop    uint64
	HandlerPanics uint64 // panics recovered in handlers, over all hooks ever registered
	HandlerErrors uint64 // errors returned by handlers (SubscribeErr and others), over all hooks ever registered
	Hooks         int    // registered hooks
	ExactHooks    int
	GenericHooks  int
	RouteMisses   uint64 // messages whose route was not cached and was computed
	Timers        int    // timers created
	// LoopParked reports that the loop found the queue empty, spun for a
	// while and now sleeps until a put wakes it: an idle engine uses no CPU.
	LoopParked bool
	// ParkedPuts counts blocking puts parked on a full queue now.
	ParkedPuts int
}

// Stats returns a snapshot of the engine's counters.
func (e *Engine) Stats() Stats {
	taken := e.gets.Load()
	out := e.q.Taken() // read before accepted, so Delivered+Taken <= Accepted
	accepted := e.q.Accepted()
	queued := e.q.Len()
	s := Stats{
		Running:     e.Active(),
		Capacity:    e.q.Cap(),
		Queued:      queued,
		Accepted:    accepted,
		Taken:       taken,
		Refused:     e.refused.Load(),
		Waited:      e.waited.Load(),
		FullOnLoop:  e.selfFull.Load(),
		RouteMisses: e.cache.misses.Load(),
		Timers:      e.timers.count(),
	}
	puts, gets := e.q.Waiters()
	s.ParkedPuts = puts
	s.LoopParked = gets > 0 && s.Running
	if out >= taken {
		s.Delivered = out - taken
	}
	r := &e.reg
	r.mu.Lock()
	s.HandlerPanics, s.HandlerErrors = r.panicsGone, r.errorsGone
	for _, m := range []map[topic.Topic]*slot{r.exact, r.generic} {
		for _, sl := range m {
			s.HandlerPanics += sl.hook.Panics()
			s.HandlerErrors += sl.hook.Errors()
		}
	}
	s.ExactHooks, s.GenericHooks = len(r.exact), len(r.generic)
	r.mu.Unlock()
	s.Hooks = s.ExactHooks + s.GenericHooks
	return s
}

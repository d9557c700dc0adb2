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
	// returned ErrFull: a TryPut, or a blocking put past the follow-up
	// limit (see Put).
	FullOnLoop uint64
	// FollowUps counts the messages handlers published that the loop kept
	// beside the queue (see Put); FollowUpsQueued is how many wait now
	// (they count in Queued too).
	FollowUps       uint64
	FollowUpsQueued int
	// LoopRestarts counts the times a handler ended the loop's goroutine
	// (runtime.Goexit) and the loop went on in a new one.
	LoopRestarts  uint64
	HandlerPanics uint64 // panics recovered in handlers of registered hooks, while registered, and in AfterDelivery functions
	HandlerErrors uint64 // errors returned by handlers (SubscribeErr and others) of registered hooks, while registered
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
	f := &e.fu
	taken := e.gets.Load()
	fuTaken := f.taken.Load()
	fuOut := f.delivered.Load()
	out := e.q.Taken() // read before accepted, so Delivered+Taken <= Accepted
	fuPending := f.pending()
	accepted := e.q.Accepted() + f.accepted.Load()
	queued := e.q.Len() + fuPending
	s := Stats{
		Running:         e.Active(),
		Capacity:        e.q.Cap(),
		Queued:          queued,
		Accepted:        accepted,
		Taken:           taken,
		Refused:         e.refused.Load(),
		Waited:          e.waited.Load(),
		FullOnLoop:      e.selfFull.Load(),
		FollowUps:       f.accepted.Load(),
		LoopRestarts:    e.restarts.Load(),
		FollowUpsQueued: fuPending,
		RouteMisses:     e.cache.misses.Load(),
		Timers:          e.timers.count(),
	}
	puts, gets := e.q.Waiters()
	s.ParkedPuts = puts
	s.LoopParked = gets > 0 && s.Running
	if qTaken := taken - fuTaken; out >= qTaken {
		s.Delivered = out - qTaken + fuOut
	}
	r := &e.reg
	r.mu.Lock()
	s.HandlerPanics, s.HandlerErrors = r.panicsGone, r.errorsGone
	for _, m := range []map[topic.Topic]*slot{r.exact, r.generic} {
		for _, sl := range m {
			s.HandlerPanics += sl.panicsHere()
			s.HandlerErrors += sl.errorsHere()
		}
	}
	s.ExactHooks, s.GenericHooks = len(r.exact), len(r.generic)
	r.mu.Unlock()
	if h := e.after.Load(); h != nil {
		s.HandlerPanics += h.Panics()
	}
	s.Hooks = s.ExactHooks + s.GenericHooks
	return s
}

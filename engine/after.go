package engine

import (
	"fmt"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// AfterDelivery arranges for f to be called on the dispatch loop with
// every message the loop delivers from now on, once all of the message's
// hooks are done with it: after every handler of the message returned,
// failed, panicked or ended its goroutine (runtime.Goexit), whatever the
// order in which the hooks and handlers were registered. It is the place
// to acknowledge that a message was handled: the NATS bridge acks a
// JetStream message, or stores its checkpoint, there, so that no handler,
// registered before or after the bridge started, can miss a message
// because a crash came between two handlers.
//
// f sees the message's Topic, Args, Kwargs and typed payload (the Args
// array is the one the handlers saw), not a pattern's parameters. It runs
// as a handler does, in a hook of its own after the message's hooks: a
// panic is recovered, logged and counted (Stats.HandlerPanics), and the
// functions after it still run; like a handler, it must not keep m's Args
// or Kwargs after it returns, and it delays the next message while it
// runs. Several functions run in
// the order they were added. Messages taken with [Engine.Get] or
// [Engine.TryGet] are not delivered by the loop, and do not reach f.
//
// The returned function removes f (idempotent): a message whose delivery
// has begun may still reach it. A nil f is refused with an error wrapping
// [event.ErrNilHandler]. An engine without AfterDelivery functions pays
// one atomic load a message for the feature (BenchmarkDeliver).
func (e *Engine) AfterDelivery(f func(m event.Message)) (remove func(), err error) {
	if f == nil {
		return nil, fmt.Errorf("after delivery: %w", event.ErrNilHandler)
	}
	e.afterMu.Lock()
	defer e.afterMu.Unlock()
	h := e.afterHookLocked()
	id := h.AddFunc(f)
	e.afterOn.Store(true)
	return func() {
		e.afterMu.Lock()
		defer e.afterMu.Unlock()
		if h.Remove(id) && h.Len() == 0 {
			e.afterOn.Store(false)
		}
	}, nil
}

// afterTopic names the AfterDelivery hook in the logs of its panics.
var afterTopic = topic.MustParse("AfterDelivery")

// afterHookLocked returns the AfterDelivery hook, made on first use with
// the engine's logger and clock; e.afterMu is held.
func (e *Engine) afterHookLocked() *event.Hook {
	if h := e.after.Load(); h != nil {
		return h
	}
	opts := []event.Option{event.WithClock(e.cfg.clock)}
	if e.cfg.logger != nil {
		opts = append(opts, event.WithLogger(e.cfg.logger))
	}
	h := event.NewHook(afterTopic, opts...)
	e.after.Store(h)
	return h
}

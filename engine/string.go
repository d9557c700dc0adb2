package engine

import (
	"fmt"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// String returns a readable summary of the engine: its state, capacity,
// queued messages, hooks and timers, as in
// `engine running: 3/4095 queued, 5 hooks (2 exact, 3 generic), 1 timer`.
// The state is running, stopped, shutting down (Shutdown is draining the
// queue) or shut down.
func (e *Engine) String() string {
	s := e.Stats()
	state := "stopped"
	switch closed := e.q.Closed(); {
	case s.Running && closed:
		state = "shutting down"
	case s.Running:
		state = "running"
	case closed:
		state = "shut down"
	}
	timers := "timers"
	if s.Timers == 1 {
		timers = "timer"
	}
	hooks := "hooks"
	if s.Hooks == 1 {
		hooks = "hook"
	}
	return fmt.Sprintf("engine %s: %d/%d queued, %d %s (%d exact, %d generic), %d %s",
		state, s.Queued, s.Capacity, s.Hooks, hooks, s.ExactHooks, s.GenericHooks, s.Timers, timers)
}

// Hook returns the hook registered for exactly the topic t (the
// reference's get_hook), without copying the registry's maps: the hook of
// an exact topic, or of a generic one by its own text. ok is false when
// there is none. HooksFor returns the hooks a message on t would reach.
func (e *Engine) Hook(t topic.Topic) (h *event.Hook, ok bool) {
	r := &e.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.lookup(t); s != nil {
		return s.hook, true
	}
	return nil, false
}

// WithSlowHandler makes the hooks the engine creates warn, through the
// engine's logger, of a handler call that took d or longer (at most once
// a minute per handler, with the number of slow calls so far, which
// event.Stats.Slow counts too): one slow handler stalls every topic
// behind it. It implies WithHandlerStats, since the calls must be timed.
func WithSlowHandler(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithSlowHandler(%v): the threshold must be more than 0", ErrOption, d)
		}
		c.slow, c.stats = d, true
		return nil
	}
}

package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/eventengine/eventengine/event"
)

// Middleware wraps the handler of every subscription of an engine (made
// WithMiddleware) in behaviour of its own: timing, logging, tracing, a
// recovery policy. It is called once per subscription, when it is made,
// with the subscription (its Topic and Name, for labels) and the handler
// to wrap, next; it returns the handler to register, which calls next (or
// decides not to). It must not call Unsubscribe from there.
//
// The error the outermost handler returns is logged and counted as the
// handler's (Stats.Errors). A panic that no middleware recovers is
// recovered, logged and counted by the hook as for any handler.
type Middleware func(s *Subscription, next HandleFunc) HandleFunc

// WithMiddleware installs middleware around every handler the engine
// registers: those of its subscriptions (Subscribe and its variants, and
// SubscribeValue) and those of the reference-shaped calls (RegisterHandler,
// RegisterFunc, RegisterUnique), which keep their identity: RegisterUnique
// and UnregisterHandlerValue still compare the handler the caller gave.
// For those, the middleware's Subscription names the topic and the
// handler and stands for the registration (its Unsubscribe removes it, as
// UnregisterHandler does).
// They apply in the order given: the first is outermost, so it runs first
// and sees the outcome of all the others. Several WithMiddleware options
// append to one list. An engine without middleware wraps nothing and pays
// nothing for it. A hook the caller built and registered whole
// (RegisterHook) is the caller's, and is not wrapped.
func WithMiddleware(mw ...Middleware) Option {
	return func(c *config) error {
		for i, m := range mw {
			if m == nil {
				return fmt.Errorf("%w: WithMiddleware: middleware %d is nil", ErrOption, i)
			}
		}
		c.middleware = append(c.middleware, mw...)
		return nil
	}
}

// middleware reports whether the engine has middleware.
func (e *Engine) middleware() bool { return len(e.cfg.middleware) > 0 }

// wrap returns call wrapped in the engine's middleware for s, or an error
// (ErrMiddleware) if one returns nil: every call would then panic, so the
// subscription is refused, naming the middleware.
func (e *Engine) wrap(s *Subscription, call HandleFunc) (HandleFunc, error) {
	mw := e.cfg.middleware
	for i := len(mw) - 1; i >= 0; i-- {
		if call = mw[i](s, call); call == nil {
			return nil, fmt.Errorf("subscribe to %q: %w: middleware %d (of %d) returned a nil handler", s.topic.String(), ErrMiddleware, i, len(mw))
		}
	}
	return call, nil
}

// ErrMiddleware is wrapped by the error of a subscription that a
// middleware returned no handler for.
var ErrMiddleware = errors.New("middleware returned no handler")

// Recover is a Middleware with a recovery policy: a panic in the handler
// it wraps becomes an error (the panic value, wrapped in ErrPanic), which
// is logged and counted in Stats.Errors instead of Stats.Panics, and no
// stack is logged. Put it innermost (last) to treat the panics of the
// other middleware the same way.
func Recover(s *Subscription, next HandleFunc) HandleFunc {
	return func(ctx context.Context, m event.Message) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: %v", ErrPanic, r)
			}
		}()
		return next(ctx, m)
	}
}

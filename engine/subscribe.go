package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// Subject is what the generic functions of this package (PublishValue,
// SubscribeValue) take as a topic: a topic.Topic, or its text, parsed
// with topic.Parse (a text seen before costs a lookup and no allocation).
type Subject interface{ string | topic.Topic }

// subjectTopic returns the topic of s; op names the caller in an error.
func subjectTopic[S Subject](op string, s S) (topic.Topic, error) {
	// A switch on any(&s), not any(s): boxing a string allocates.
	switch v := any(&s).(type) {
	case *topic.Topic:
		return *v, nil
	case *string:
		return parseSubject(op, *v)
	}
	return topic.Topic{}, fmt.Errorf("%s: subject of type %T", op, s) // not reached: Subject has no other types
}

// parseSubject parses the text of a topic for op.
func parseSubject(op, text string) (topic.Topic, error) {
	t, err := topic.Parse(text)
	if err != nil {
		return topic.Topic{}, fmt.Errorf("%s: %w", op, err)
	}
	return t, nil
}

// Subscription is one handler subscribed to a topic pattern: the handle
// that Subscribe and its variants return. Its methods are safe for
// concurrent use, and from inside any handler.
type Subscription struct {
	e     *Engine
	topic topic.Topic
	hook  *event.Hook
	id    event.ID
	name  string
	gone  atomic.Bool

	mu   sync.Mutex
	last event.Stats // the statistics when it was unsubscribed
}

// SubscribeOption configures one subscription.
type SubscribeOption func(*subConfig)

type subConfig struct {
	name string
}

// WithName names the subscription's handler in logs, in Stats.Name and in
// the metrics built on them. The default is the name of the handler's
// function (event.HandlerName): "main.onTick", or "main.main.func1" for a
// function literal.
func WithName(name string) SubscribeOption {
	return func(c *subConfig) { c.name = name }
}

// Subscribe calls fn with every message whose topic matches pattern, a
// topic's text ([topic.Parse]: wildcards such as Market.Data.{symbol},
// Market.*.AAPL or Market.> are welcome), and returns the subscription,
// whose [Subscription.Unsubscribe] ends it. In fn, m.Param("symbol")
// reads what a wildcard bound. A pattern that does not parse is an error
// (a *topic.Error with the offset of the problem), never a panic.
//
// Subscribe is the form to reach for; it is [Engine.RegisterFunc] with a
// handle. [Engine.SubscribeTopic] takes a topic.Topic,
// [Engine.SubscribeErr] a handler that returns an error,
// [Engine.SubscribeContext] one that also gets a context, and
// [SubscribeValue] a typed payload (with a text or a topic.Topic). The
// variants take the text; for a topic.Topic t pass t.String(), which
// parses again with one lookup in the intern table. A handler of the type
// event.Handler subscribes as e.Subscribe(pattern, h.Handle).
func (e *Engine) Subscribe(pattern string, fn func(event.Message), opts ...SubscribeOption) (*Subscription, error) {
	t, err := parseSubject("subscribe", pattern)
	if err != nil {
		return nil, err
	}
	return e.SubscribeTopic(t, fn, opts...)
}

// SubscribeTopic is Subscribe with a parsed topic.
func (e *Engine) SubscribeTopic(pattern topic.Topic, fn func(event.Message), opts ...SubscribeOption) (*Subscription, error) {
	if fn == nil {
		return nil, e.nilHandler(pattern)
	}
	if e.middleware() {
		return e.subscribe(pattern, fn, opts, func(_ context.Context, m event.Message) error { fn(m); return nil })
	}
	return e.subscribeFunc(pattern, fn, opts, func(s *Subscription) (func(event.Message) error, error) {
		return func(m event.Message) error {
			if !s.gone.Load() {
				fn(m)
			}
			return nil
		}, nil
	})
}

// SubscribeErr is Subscribe for a handler that returns an error. An error
// is logged through the engine's logger (with the topic, the sequence id
// and the handler's name) and counted in the handler's Stats.Errors and
// the engine's Stats.HandlerErrors, as a panic is.
func (e *Engine) SubscribeErr(pattern string, fn func(event.Message) error, opts ...SubscribeOption) (*Subscription, error) {
	t, err := parseSubject("subscribe", pattern)
	if err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, e.nilHandler(t)
	}
	return e.subscribeErr(t, fn, opts, fn)
}

// SubscribeContext is SubscribeErr for a handler that also gets a context:
// the context of the running dispatch loop, which ends when the engine
// stops (Stop, the end of Shutdown, or the end of Run's context), so that
// a handler that waits (on a channel, a network call) gives up then
// rather than hold up the stop. The context carries no deadline and no
// values; a handler called while the engine is not running gets a context
// that has already ended.
func (e *Engine) SubscribeContext(pattern string, fn func(context.Context, event.Message) error, opts ...SubscribeOption) (*Subscription, error) {
	t, err := parseSubject("subscribe", pattern)
	if err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, e.nilHandler(t)
	}
	if e.middleware() {
		return e.subscribe(t, fn, opts, fn)
	}
	return e.subscribeErr(t, fn, opts, func(m event.Message) error { return fn(e.runContext(), m) })
}

// HandleFunc is the form every subscription's handler takes inside the
// engine: what a Middleware wraps. ctx is the context SubscribeContext
// describes.
type HandleFunc func(ctx context.Context, m event.Message) error

// subscribe registers call, the handler of the user's function user (for
// its name), under pattern, wrapped in the engine's middleware.
func (e *Engine) subscribe(pattern topic.Topic, user any, opts []SubscribeOption, call HandleFunc) (*Subscription, error) {
	return e.subscribeFunc(pattern, user, opts, func(s *Subscription) (func(event.Message) error, error) {
		h, err := e.wrap(s, call)
		if err != nil {
			return nil, err
		}
		return func(m event.Message) error {
			if s.gone.Load() {
				return nil
			}
			return h(e.runContext(), m)
		}, nil
	})
}

// subscribeErr registers f, a handler that returns an error, made for the
// user's function user, under pattern; wrapped in the engine's middleware
// if it has any.
func (e *Engine) subscribeErr(pattern topic.Topic, user any, opts []SubscribeOption, f func(event.Message) error) (*Subscription, error) {
	if e.middleware() {
		return e.subscribe(pattern, user, opts, func(_ context.Context, m event.Message) error { return f(m) })
	}
	return e.subscribeFunc(pattern, user, opts, func(s *Subscription) (func(event.Message) error, error) {
		return func(m event.Message) error {
			if s.gone.Load() {
				return nil
			}
			return f(m)
		}, nil
	})
}

// subscribeFunc registers the func that handler makes for the new
// subscription under pattern.
func (e *Engine) subscribeFunc(pattern topic.Topic, user any, opts []SubscribeOption, handler func(*Subscription) (func(event.Message) error, error)) (*Subscription, error) {
	if err := checkTopic("subscribe", pattern); err != nil {
		return nil, err
	}
	var c subConfig
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.name == "" {
		c.name = event.HandlerName(user)
	}
	s := &Subscription{e: e, topic: pattern, name: c.name}
	f, err := handler(s)
	if err != nil {
		return nil, err
	}
	r := &e.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	s.hook = e.hookFor(pattern)
	s.id = s.hook.AddNamed(c.name, f)
	return s, nil
}

func (e *Engine) nilHandler(t topic.Topic) error {
	return fmt.Errorf("subscribe to %q: %w", t.String(), event.ErrNilHandler)
}

// runContext returns the context of the running loop (see
// SubscribeContext) for a handler call. It is looked up only when the
// handler uses it (loopContext), so a handler or a middleware that does
// not pays nothing for it (BenchmarkHandlerForm).
func (e *Engine) runContext() context.Context { return loopContext{e} }

// loopContext is the context of the loop running a handler call, looked
// up when one of its methods is called: during the call the loop cannot
// change (it is running the call), so that is the loop's own context. A
// struct of one pointer, it converts to an interface without allocating.
type loopContext struct{ e *Engine }

func (c loopContext) Deadline() (time.Time, bool) { return c.e.loopContext().Deadline() }
func (c loopContext) Done() <-chan struct{}       { return c.e.loopContext().Done() }
func (c loopContext) Err() error                  { return c.e.loopContext().Err() }
func (c loopContext) Value(key any) any           { return c.e.loopContext().Value(key) }

// loopContext returns the context of the running loop, or one that has
// ended if the engine is not running.
func (e *Engine) loopContext() context.Context {
	ts := &e.timers
	ts.mu.Lock()
	ctx := ts.ctx
	ts.mu.Unlock()
	if ctx == nil {
		return stoppedContext
	}
	return ctx
}

// stoppedContext is the context of an engine that is not running.
var stoppedContext = func() context.Context {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(fmt.Errorf("%w: the handler was called while the engine was stopped", ErrNotRunning))
	return ctx
}()

// Topic returns the pattern the subscription was made with.
func (s *Subscription) Topic() topic.Topic { return s.topic }

// ID returns the ID of the subscription's registration in the hook of its
// topic, which UnregisterID and the hook's methods also take.
func (s *Subscription) ID() event.ID { return s.id }

// Name returns the name of the subscription's handler (see WithName).
func (s *Subscription) Name() string { return s.name }

// Active reports whether the subscription still receives messages: it
// has not been unsubscribed, and the engine's registry still holds it
// (Clear and UnregisterHook remove it too).
func (s *Subscription) Active() bool {
	if s.gone.Load() || !s.hook.Has(s.id) {
		return false
	}
	r := &s.e.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	sl := r.lookup(s.topic)
	return sl != nil && sl.hook == s.hook
}

// Unsubscribe ends the subscription: once it returns, the handler is
// not called again (a call under way finishes), so the next message no
// longer reaches it. Unsubscribing again does nothing and returns nil,
// as does unsubscribing a subscription that Clear or UnregisterHook
// removed. It may be called from any goroutine, including from inside any
// handler, its own too.
func (s *Subscription) Unsubscribe() error {
	if s.gone.Swap(true) {
		return nil
	}
	st, _ := s.hook.Stats(s.id)
	s.mu.Lock()
	s.last = st
	s.mu.Unlock()
	err := s.e.UnregisterHandler(s.topic, s.id)
	if errors.Is(err, ErrNoHook) || errors.Is(err, ErrNoHandler) {
		return nil // removed already, by Clear or UnregisterHook
	}
	return err
}

// Stats returns the statistics of the subscription's handler: calls and
// time (if the engine was made WithHandlerStats), panics and errors
// (always). After Unsubscribe they are those it had then.
func (s *Subscription) Stats() event.Stats {
	if !s.gone.Load() {
		if st, ok := s.hook.Stats(s.id); ok {
			return st
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last.ID == 0 {
		// Removed by Clear or UnregisterHook: the hook still has the
		// counters, unless it dropped the registration.
		if st, ok := s.hook.Stats(s.id); ok {
			return st
		}
		return event.Stats{ID: s.id, Name: s.name}
	}
	return s.last
}

// String returns a readable form such as
// `subscription main.onTick to Market.Data.{symbol}`, followed by
// ` (unsubscribed)` once it is no longer active.
func (s *Subscription) String() string {
	state := ""
	if !s.Active() {
		state = " (unsubscribed)"
	}
	return fmt.Sprintf("subscription %s to %s%s", s.name, s.topic.String(), state)
}

// UnregisterID removes the registration id from whichever hook holds it
// (IDs are unique in the process, so no topic is needed), and drops the
// hook when it becomes empty. It returns an error wrapping ErrNoHandler if
// no hook of the engine holds id.
func (e *Engine) UnregisterID(id event.ID) error {
	r := &e.reg
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range []map[topic.Topic]*slot{r.exact, r.generic} {
		for t, s := range m {
			if s.hook.Remove(id) {
				if s.hook.Len() == 0 {
					r.remove(t)
				}
				return nil
			}
		}
	}
	return fmt.Errorf("unregister handler %d: %w", id, ErrNoHandler)
}

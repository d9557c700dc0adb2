package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// ErrMapArg is returned by Send and its variants for a map[string]any
// among the positional arguments: almost always keyword arguments meant as
// an event.Kw. Put keeps such a map positional, as it always did.
var ErrMapArg = errors.New("a map[string]any as a positional argument")

// kwLike reports whether a, the last argument of a put without Kwargs,
// is an event.Kw, which holds the put's keyword arguments, or a
// map[string]any, which stays positional, as Put always kept it, but is
// almost always a forgotten event.Kw (see splitKw). publish tests every
// put with it: a comparison of type words, inlined, so that Put stays
// small enough to be inlined itself (go build -gcflags=-m).
func kwLike(a any) bool {
	switch a.(type) {
	case event.Kw, map[string]any:
		return true
	}
	return false
}

// splitKw moves the event.Kw that ends m's Args into its Kwargs, or for a
// map[string]any there warns, once per engine (mapArg).
func (e *Engine) splitKw(m *event.Message) {
	n := len(m.Args)
	if kw, ok := m.Args[n-1].(event.Kw); ok {
		m.Args, m.Kwargs = m.Args[:n-1:n-1], kw
		return
	}
	e.mapArg(m.Topic, n-1)
}

// mapArg warns, once per engine, of a put whose last positional argument
// is a map[string]any.
func (e *Engine) mapArg(t topic.Topic, i int) {
	if e.warnedMapArg.Swap(true) {
		return
	}
	e.Logger().Warn("eventengine: a put's last positional argument is a map[string]any; keyword arguments are an event.Kw (warned once per engine)",
		slog.String("topic", t.String()), slog.Int("argument", i))
}

// Send publishes a message on the exact topic whose text is subject, the
// form for callers that have the topic as a string (as nats.go's
// Publish(subject, data) takes it): e.Send("Market.Data.AAPL", 187.5).
// It waits while the queue is full, as Put does. Put and Publish keep the
// names and the topic.Topic of the reference; Send is their string form.
//
// The text is parsed with topic.Parse: a topic seen before comes from the
// intern table without parsing and without allocation (BenchmarkSend). A
// text that does not parse gets the *topic.Error (with the offset of the
// problem), a generic topic ErrNotExact; neither panics.
//
// An event.Kw as the last argument holds keyword arguments, so
// e.Send("Orders.New", 100, event.Kw{"id": "A-1"}) needs no context and no
// slices. A map[string]any among the positional arguments is refused with
// ErrMapArg, because it is almost always a forgotten event.Kw; to send one
// positionally, use Put.
func (e *Engine) Send(subject string, args ...any) error {
	return e.send(context.Background(), subject, args, true)
}

// TrySend is Send without waiting: it returns ErrFull when the queue is
// full.
func (e *Engine) TrySend(subject string, args ...any) error {
	return e.send(context.Background(), subject, args, false)
}

// SendContext is Send that gives up when ctx ends (the error then wraps
// both ErrFull and ctx.Err()).
func (e *Engine) SendContext(ctx context.Context, subject string, args ...any) error {
	if ctx == nil {
		ctx = context.Background()
	}
	return e.send(ctx, subject, args, true)
}

func (e *Engine) send(ctx context.Context, subject string, args []any, block bool) error {
	t, err := topic.Parse(subject)
	if err != nil {
		return e.refuse(fmt.Errorf("send: %w", err))
	}
	m := event.Message{Topic: t, Args: args}
	if n := len(args); n > 0 {
		if kw, ok := args[n-1].(event.Kw); ok {
			m.Args, m.Kwargs = args[:n-1:n-1], kw
		}
	}
	for i, a := range m.Args {
		if _, ok := a.(map[string]any); ok {
			return e.refuse(fmt.Errorf("send on %q: argument %d: %w: pass keyword arguments as event.Kw{...} (the last argument), or use Put to send the map positionally", subject, i, ErrMapArg))
		}
	}
	return e.publish(ctx, m, block)
}

// gaveUp returns err, and if it is the end of ctx, an error that also
// wraps full, so that a caller checks one error (errors.Is(err, ErrFull)
// or ErrEmpty) as with the reference's single Full and Empty.
func gaveUp(ctx context.Context, err, full error) error {
	if err == nil || ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("%w: gave up waiting: %w", full, err)
}

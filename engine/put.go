package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// Put publishes a message on the exact topic t with positional arguments
// args, waiting as long as the queue is full (spinning first, then parked).
// It returns ErrNotExact for a generic topic, ErrClosed after Shutdown, and
// ErrFull when called from a handler on the loop's goroutine while the queue
// stays full (waiting there would wait forever for itself; it finds out after
// spinning some tens of microseconds).
//
// Put does not copy args: the handlers receive the same elements (as
// args[:len(args):len(args)]), so the caller must not change them after
// Put. Put(t, args...) with an existing slice allocates nothing.
//
// An event.Kw as the last argument holds keyword arguments:
// Put(t, 187.5, event.Kw{"exchange": "XNAS"}) publishes one positional and
// one keyword argument. A map[string]any of another type stays a
// positional argument, as it always was (Send refuses one).
func (e *Engine) Put(t topic.Topic, args ...any) error {
	return e.publish(context.Background(), withKw(t, args), true)
}

// TryPut is Put without waiting: it returns ErrFull when the queue is full.
func (e *Engine) TryPut(t topic.Topic, args ...any) error {
	return e.publish(context.Background(), withKw(t, args), false)
}

// PutContext is Put that gives up when ctx ends, returning an error that
// wraps both ErrFull and ctx.Err(), so that one errors.Is(err, ErrFull)
// covers both, as the reference's single Full does; use
// context.WithTimeout for the reference's timeout.
func (e *Engine) PutContext(ctx context.Context, t topic.Topic, args ...any) error {
	if ctx == nil {
		ctx = context.Background()
	}
	return e.publish(ctx, withKw(t, args), true)
}

// Publish publishes with explicit positional and keyword arguments, waiting
// while the queue is full until ctx ends. Neither args nor kwargs is copied.
func (e *Engine) Publish(ctx context.Context, t topic.Topic, args []any, kwargs map[string]any) error {
	if ctx == nil {
		ctx = context.Background()
	}
	return e.publish(ctx, event.Message{Topic: t, Args: args, Kwargs: kwargs}, true)
}

// TryPublish is Publish without waiting: it returns ErrFull when the queue
// is full.
func (e *Engine) TryPublish(t topic.Topic, args []any, kwargs map[string]any) error {
	return e.publish(context.Background(), event.Message{Topic: t, Args: args, Kwargs: kwargs}, false)
}

func (e *Engine) publish(ctx context.Context, m event.Message, block bool) error {
	if !m.Topic.IsExact() {
		return e.refuse(badTopic(m.Topic))
	}
	return e.push(ctx, pack(m), e.keepKwargs(m.Kwargs), block)
}

// push queues it, calling at (if not nil) with its queue position before
// the queue publishes it (see item).
func (e *Engine) push(ctx context.Context, it item, at func(pos uint64), block bool) error {
	_, err := e.q.TryPutAt(it, at)
	if err == nil {
		return nil
	}
	if !block || !errors.Is(err, ErrFull) {
		return e.refuse(err)
	}
	return e.putSlow(ctx, it, at)
}

// putSlow waits for room. A put from a handler on the loop's own goroutine
// would wait for itself forever; telling that costs about a microsecond, so
// putSlow asks only after spinning loopCheckSpins rounds (some tens of
// microseconds) without finding room for a batch. A running loop makes room
// sooner, so a producer waiting for it does not pay for the question.
func (e *Engine) putSlow(ctx context.Context, it item, at func(pos uint64)) error {
	e.waited.Add(1)
	_, err := e.q.PutSpinAt(ctx, it, loopCheckSpins, at)
	if errors.Is(err, ErrFull) {
		if e.onLoop() {
			return e.fullOnLoop()
		}
		_, err = e.q.PutAt(ctx, it, at)
	}
	if err != nil {
		return e.refuse(gaveUp(ctx, err, ErrFull))
	}
	return nil
}

// loopCheckSpins is how many rounds putSlow spins before it asks whether it
// runs on the loop.
const loopCheckSpins = 32

func (e *Engine) fullOnLoop() error {
	e.selfFull.Add(1)
	return e.refuse(fmt.Errorf("%w: a put from a handler on the dispatch loop cannot wait for the loop to make room", ErrFull))
}

func (e *Engine) refuse(err error) error {
	e.refused.Add(1)
	return err
}

func badTopic(t topic.Topic) error {
	if t.IsZero() {
		return fmt.Errorf("publish: %w", ErrZeroTopic)
	}
	return fmt.Errorf("publish on %q: %w: only exact topics can be published", t.String(), ErrNotExact)
}

// Get takes the next message from the queue for a caller that pulls messages
// itself, waiting until one arrives or ctx ends (the error then wraps both
// ErrEmpty and ctx.Err(), as the reference's single Empty). Get competes with a running
// loop for messages; use it on a stopped engine. It returns ErrClosed once
// the engine is shut down and the queue is empty.
func (e *Engine) Get(ctx context.Context) (event.Message, error) {
	if err := e.getFromLoop(); err != nil {
		return event.Message{}, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	var m event.Message
	_, err := e.q.Consume(ctx, 1, func(it *item, seq uint64) bool {
		m = e.take(it, seq)
		return true
	})
	return e.took(m, gaveUp(ctx, err, ErrEmpty))
}

// TryGet is Get without waiting: it returns ErrEmpty when the queue is empty.
func (e *Engine) TryGet() (event.Message, error) {
	if err := e.getFromLoop(); err != nil {
		return event.Message{}, err
	}
	var m event.Message
	_, err := e.q.TryConsume(1, func(it *item, seq uint64) bool {
		m = e.take(it, seq)
		return true
	})
	return e.took(m, err)
}

// getFromLoop refuses a Get from a handler: the loop holds the queue's
// consumer side while it dispatches.
func (e *Engine) getFromLoop() error {
	if e.onLoop() {
		return fmt.Errorf("get: %w: a handler cannot take messages from the queue its loop is consuming", ErrRunning)
	}
	return nil
}

// take is Get's consumer function: it unpacks the item while the queue
// still counts it (so its Kwargs entry is not yet reused) and clears the
// slot so the queue keeps no references for the garbage collector.
func (e *Engine) take(it *item, seq uint64) event.Message {
	m := e.unpack(it, seq)
	*it = item{}
	return m
}

func (e *Engine) took(m event.Message, err error) (event.Message, error) {
	if err != nil {
		return event.Message{}, err
	}
	e.gets.Add(1)
	return m, nil
}

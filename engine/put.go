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
// It returns ErrNotExact for a generic topic and ErrClosed after Shutdown.
//
// A handler never waits for room: only its own loop could make it. Its put
// on a full queue (and, while Shutdown drains the queue, any put of a
// handler) is accepted as a follow-up, which the loop keeps beside the
// queue and delivers after every message accepted before it, with the
// sequence id it would have had in the queue (see WithFollowUpLimit; past
// the limit the put returns ErrFull, counted in Stats.FullOnLoop).
// Telling a handler from another goroutine is paid only by puts that find
// the queue full: about a nanosecond on amd64, a microsecond elsewhere
// (once per batch of room a waiting producer gets).
//
// Put does not copy args: the handlers receive the same elements (as
// args[:len(args):len(args)]), so the caller must not change them after
// Put. Put(t, args...) with an existing slice allocates nothing.
//
// An event.Kw as the last argument holds keyword arguments:
// Put(t, 187.5, event.Kw{"exchange": "XNAS"}) publishes one positional and
// one keyword argument. A map[string]any there stays a positional
// argument, as it always was, and the engine logs a warning the first time
// (it is almost always a forgotten event.Kw; Send refuses one).
func (e *Engine) Put(t topic.Topic, args ...any) error {
	return e.publish(context.Background(), event.Message{Topic: t, Args: args}, true)
}

// TryPut is Put without waiting: it returns ErrFull when the queue is full,
// also from a handler (only a handler's TryPut during Shutdown becomes a
// follow-up; see Put).
func (e *Engine) TryPut(t topic.Topic, args ...any) error {
	return e.publish(context.Background(), event.Message{Topic: t, Args: args}, false)
}

// PutContext is Put that gives up when ctx ends, returning an error that
// wraps both ErrFull and ctx.Err(), so that one errors.Is(err, ErrFull)
// covers both, as the reference's single Full does; use
// context.WithTimeout for the reference's timeout.
func (e *Engine) PutContext(ctx context.Context, t topic.Topic, args ...any) error {
	if ctx == nil {
		ctx = context.Background()
	}
	return e.publish(ctx, event.Message{Topic: t, Args: args}, true)
}

// Publish publishes with explicit positional and keyword arguments, waiting
// while the queue is full until ctx ends. Neither args nor kwargs is copied.
// With kwargs nil, an event.Kw ending args holds the keyword arguments, as
// in Put.
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
	if n := len(m.Args); n > 0 && m.Kwargs == nil && kwLike(m.Args[n-1]) {
		e.splitKw(&m) // an event.Kw last holds the keywords (see Put)
	}
	if !m.Topic.IsExact() {
		return e.refuse(badTopic(m.Topic))
	}
	it := pack(m)
	_, err := e.q.TryPutAt(it, e.keepKwargs(m.Kwargs))
	if err == nil {
		return nil
	}
	return e.putSlow(ctx, m, it, err, block)
}

// putSlow handles a put that found the queue full or closed (err): a
// handler's becomes a follow-up (see Put), a blocking put of any other
// goroutine waits for room.
func (e *Engine) putSlow(ctx context.Context, m event.Message, it item, err error, block bool) error {
	if e.isFollowUp(err, block) {
		return e.followUp(m)
	}
	return e.waitRoom(ctx, it, e.keepKwargs(m.Kwargs), err, block)
}

// isFollowUp reports whether a put that found the queue full or closed
// (err) becomes a follow-up: a handler's (see Put).
func (e *Engine) isFollowUp(err error, block bool) bool {
	closed := errors.Is(err, ErrClosed)
	return (closed || block && errors.Is(err, ErrFull)) && e.onLoop()
}

// waitRoom is putSlow for a put that is not a follow-up: a blocking one
// waits for room, calling at with its queue position (see item).
func (e *Engine) waitRoom(ctx context.Context, it item, at func(pos uint64), err error, block bool) error {
	if !block || errors.Is(err, ErrClosed) {
		return e.refuse(err)
	}
	e.waited.Add(1)
	if _, err := e.q.PutAt(ctx, it, at); err != nil {
		return e.refuse(gaveUp(ctx, err, ErrFull))
	}
	return nil
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

// Get takes the next message for a caller that pulls messages itself,
// waiting until one arrives or ctx ends: the oldest queued message, or a
// follow-up (see Put) when it is due, with the sequence id the loop would
// have given it. If ctx ends first, the error wraps both ErrEmpty and
// ctx.Err(), as the reference's single Empty. Get is for a stopped
// engine: while the dispatch loop runs it returns an error wrapping
// ErrRunning, and a Get waiting when the loop starts returns one too. Gets take turns. Get returns ErrClosed once the
// engine is shut down and the queue is empty.
func (e *Engine) Get(ctx context.Context) (event.Message, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	pctx, err := e.enterPull("get")
	if err != nil {
		return event.Message{}, err
	}
	defer e.leavePull()
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(pctx, cancel)()
	if !e.pull.take(gctx) {
		return event.Message{}, gaveUp(ctx, pullErr("get", ctx, pctx), ErrEmpty)
	}
	defer func() { <-e.pull.turn }()
	if m, ok := e.takeFollowUp(); ok {
		return m, nil
	}
	var m event.Message
	_, err = e.q.Consume(gctx, 1, func(it *item, seq uint64) bool {
		m = e.take(it, seq)
		return true
	})
	if err != nil && ctx.Err() == nil && pctx.Err() != nil {
		err = pullErr("get", ctx, pctx)
	}
	return e.took(m, gaveUp(ctx, err, ErrEmpty))
}

// TryGet is Get without waiting for a message: it returns ErrEmpty when
// there is none (it waits only for a Get under way to take its turn).
func (e *Engine) TryGet() (event.Message, error) {
	pctx, err := e.enterPull("try get")
	if err != nil {
		return event.Message{}, err
	}
	defer e.leavePull()
	if !e.pull.take(pctx) {
		return event.Message{}, pullErr("try get", context.Background(), pctx)
	}
	defer func() { <-e.pull.turn }()
	if m, ok := e.takeFollowUp(); ok {
		return m, nil
	}
	var m event.Message
	_, err = e.q.TryConsume(1, func(it *item, seq uint64) bool {
		m = e.take(it, seq)
		return true
	})
	return e.took(m, err)
}

// pullErr is the error of a Get whose wait ended: ctx's, or ErrRunning if
// the loop started (pctx ended).
func pullErr(op string, ctx, pctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%s: %w: the dispatch loop started", op, ErrRunning)
}

// takeFollowUp takes the oldest follow-up if it is due: once the messages
// accepted before it have left the queue.
func (e *Engine) takeFollowUp() (event.Message, bool) {
	f := &e.fu
	if f.due > e.q.Taken() {
		return event.Message{}, false
	}
	m := f.pop()
	f.taken.Add(1)
	e.gets.Add(1)
	return m, true
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

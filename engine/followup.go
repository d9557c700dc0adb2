package engine

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/eventengine/eventengine/event"
)

// followUps keeps the follow-ups: messages that handlers published, from
// the loop's goroutine, with a blocking put (Put, PutContext, Publish) while
// the queue was full, or with any put while Shutdown drains the queue. A
// handler cannot wait for room (only its own loop makes room), so the
// message is accepted here instead, up to the follow-up limit.
//
// Order and sequence ids: a follow-up is delivered after every message
// accepted before it and before every message accepted after it, as if it
// had found room in the queue. Its after is the queue's Accepted count
// when it was kept: it is due once the loop has taken the queue's first
// after messages, and the loop ends a batch at that message (deliver
// compares with due). Sequence ids count every accepted message, queued or
// kept: a queue message's Seq is its queue position plus one plus shift,
// the number of follow-ups delivered (or taken by Get) before it, and a
// follow-up's Seq is after plus shift once it is counted. So ids stay 1, 2,
// 3, ... in delivery order, without gaps.
//
// Only the consumer touches buf, due and shift: the loop's goroutine (its
// handlers keep follow-ups, the loop delivers them) while the loop runs,
// and Get or TryGet, one at a time, while it does not (see pull); the
// hand-over goes through the engine's mutex. So the loop reads due and
// shift without atomics. The counters are for Stats.
type followUps struct {
	buf   []followUp // buf[head:] waits, oldest first
	head  int
	limit int
	due   uint64 // buf[head].after, or noDue when buf is empty
	shift uint64

	n         atomic.Int64  // waiting now
	accepted  atomic.Uint64 // kept since the engine was made
	delivered atomic.Uint64 // delivered by the loop
	taken     atomic.Uint64 // taken by Get and TryGet
}

// noDue is due when no follow-up waits.
const noDue = math.MaxUint64

type followUp struct {
	m     event.Message
	after uint64
}

func (f *followUps) init(limit int) {
	f.limit = limit
	f.due = noDue
}

// pending returns the number of follow-ups waiting.
func (f *followUps) pending() int { return int(f.n.Load()) }

// keep accepts m as a follow-up accepted after the queue's first after
// messages.
func (f *followUps) keep(m event.Message, after uint64) {
	if f.head == len(f.buf) {
		f.buf, f.head = f.buf[:0], 0
		f.due = after
	} else if f.head >= 64 && f.head >= len(f.buf)/2 {
		// Slide the waiting follow-ups down, so that a buffer that never
		// empties does not grow without end.
		n := copy(f.buf, f.buf[f.head:])
		clear(f.buf[n:])
		f.buf, f.head = f.buf[:n], 0
	}
	f.buf = append(f.buf, followUp{m: m, after: after})
	f.n.Add(1)
	f.accepted.Add(1)
}

// pop takes the oldest follow-up, gives it its sequence id and counts it
// in shift.
func (f *followUps) pop() event.Message {
	x := f.buf[f.head]
	f.buf[f.head] = followUp{} // drop the references for the GC
	f.head++
	f.shift++
	x.m.Seq = x.after + f.shift
	if f.head == len(f.buf) {
		f.buf, f.head = f.buf[:0], 0
		f.due = noDue
	} else {
		f.due = f.buf[f.head].after
	}
	f.n.Add(-1)
	return x.m
}

// followUp keeps m, published by a handler on the loop's goroutine that
// found no room in the queue (or found it closed by Shutdown).
func (e *Engine) followUp(m event.Message) error {
	f := &e.fu
	if f.pending() >= f.limit {
		e.selfFull.Add(1)
		return e.refuse(fmt.Errorf("publish on %q from a handler: %w: the queue is full and so are the loop's follow-ups (%d, WithFollowUpLimit)", m.Topic.String(), ErrFull, f.limit))
	}
	f.keep(m, e.q.Accepted())
	return nil
}

// deliverDue delivers the follow-ups that are due, oldest first, until
// none is or the run is halted. Their handlers may keep more.
func (e *Engine) deliverDue() {
	f := &e.fu
	for f.due <= e.q.Taken() && !e.stopping.Load() {
		m := f.pop()
		f.delivered.Add(1)
		e.dispatch(m, e.route(m.Topic))
	}
}

// pull admits Get and TryGet, one at a time, while the loop does not run:
// then they are the consumer (see followUps). Starting the loop ends the
// Gets under way (they return ErrRunning) and waits for them.
type pull struct {
	ctx    context.Context // ends when a loop starts
	cancel context.CancelFunc
	wg     sync.WaitGroup // Gets admitted and not yet returned
	n      atomic.Int32   // the same, counted for tests
	turn   chan struct{}  // held by the Get taking a message
}

func (p *pull) init() {
	p.turn = make(chan struct{}, 1)
	p.open()
}

// open admits Gets again; the caller holds the engine's mutex.
func (p *pull) open() { p.ctx, p.cancel = context.WithCancel(context.Background()) }

// close ends the Gets under way and waits for them; the caller holds the
// engine's mutex, which a Get does not take once admitted.
func (p *pull) close() {
	p.cancel()
	p.wg.Wait()
}

// take waits for the turn to take a message, until ctx ends; a turn that
// is free is taken even if ctx has ended, as the queue's gets do.
func (p *pull) take(ctx context.Context) bool {
	select {
	case p.turn <- struct{}{}:
		return true
	default:
	}
	select {
	case p.turn <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// enterPull admits a Get: it returns the context that ends when a loop
// starts, or ErrRunning while one runs. The caller calls leavePull when it
// returns.
func (e *Engine) enterPull(op string) (context.Context, error) {
	if e.onLoop() {
		return nil, fmt.Errorf("%s: %w: a handler cannot take messages from the queue its loop is consuming", op, ErrRunning)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.running {
		return nil, fmt.Errorf("%s: %w: the dispatch loop is consuming the queue (Stop it first)", op, ErrRunning)
	}
	e.pull.wg.Add(1)
	e.pull.n.Add(1)
	return e.pull.ctx, nil
}

// leavePull ends a Get that enterPull admitted.
func (e *Engine) leavePull() {
	e.pull.n.Add(-1)
	e.pull.wg.Done()
}

// pullers returns the number of Gets admitted now.
func (e *Engine) pullers() int { return int(e.pull.n.Load()) }

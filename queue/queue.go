// Package queue provides a bounded, lock-free, multi-producer multi-consumer
// FIFO queue with an exact capacity, spin-then-park blocking, sequence ids
// and closing.
//
// # Algorithm
//
// Producers claim a position with one compare-and-swap on tail, write the
// item into the slot of that position and publish it by storing the
// position in the slot's stamp. A put is refused as full when tail - head
// reaches the capacity, so the capacity is exact while the ring itself has
// a power-of-two size (no division). Consumers take items under a consumer
// lock, which costs nothing when there is one consumer: they check the
// stamp, read the item and advance head, publishing head once per batch
// (Consume) rather than once per item, so a consumer that keeps up costs no
// atomic read-modify-write per item at all.
//
// # Sequence ids
//
// Every accepted put gets the next sequence id, starting at 1 and without
// gaps, in FIFO order; a refused put (full, closed, context ended) consumes
// none. Gets return the id of the item they took.
//
// # Blocking
//
// Put and Get first retry a bounded number of times (WithMaxSpin: a few
// tight retries, then with runtime.Gosched between them) and then park on a
// channel until the other side signals, the context ends or the queue is
// closed. A parked goroutine uses no CPU, and parking allocates nothing.
//
// # Closing
//
// Close refuses all later puts with ErrClosed, atomically with respect to
// accepting puts: no put is accepted after Close returns. Items already in
// the queue can still be taken; Get and TryGet return ErrClosed once a
// closed queue is empty. Reopen accepts puts again.
package queue

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// Sentinel errors.
var (
	ErrFull     = errors.New("queue full")
	ErrEmpty    = errors.New("queue empty")
	ErrClosed   = errors.New("queue closed")
	ErrCapacity = errors.New("invalid capacity")
)

// DefaultMaxSpin is the default number of retries before a blocked Put or
// Get parks.
const DefaultMaxSpin = 1024

// MaxCapacity is the largest capacity New accepts.
const MaxCapacity = 1 << 30

// closedBit marks a closed queue in tail; laps stay far below it.
const closedBit = uint64(1) << 63

// tightSpins is how many of the retries are made without yielding.
const tightSpins = 16

// Option configures a Queue.
type Option func(*config)

type config struct{ maxSpin int }

// WithMaxSpin sets how many times a blocking Put or Get retries before
// parking (the reference's max_spin). Negative values count as 0.
func WithMaxSpin(n int) Option { return func(c *config) { c.maxSpin = max(n, 0) } }

type slot[T any] struct {
	stamp atomic.Uint64 // position+1 once the item of that position is written
	value T
}

type pad [64]byte

// Queue is a bounded FIFO queue of T for many producers and consumers. Its
// methods are safe for concurrent use.
type Queue[T any] struct {
	_    pad
	tail atomic.Uint64 // next position to claim; closedBit when closed
	_    pad
	head atomic.Uint64 // next position to take, as published by consumers
	_    pad
	// headCache is a recent value of head for producers, so that a put reads
	// the consumers' cache line only when the queue looks full.
	headCache atomic.Uint64
	_         pad
	// waiters count goroutines parked (or about to park) in Get and Put.
	getWaiters atomic.Int32
	putWaiters atomic.Int32
	_          pad

	cmu     sync.Mutex // held by the consumer taking items
	buf     []slot[T]
	mask    uint64
	cap     uint64
	maxSpin int

	notEmpty chan struct{} // tokens for parked consumers
	notFull  chan struct{} // tokens for parked producers

	mu      sync.Mutex // Close and Reopen
	closeCh atomic.Pointer[chan struct{}]
	closed  atomic.Bool // set after the closed bit, cleared before it
}

// New returns a queue holding at most capacity items (1 to MaxCapacity).
func New[T any](capacity int, opts ...Option) (*Queue[T], error) {
	if capacity < 1 || capacity > MaxCapacity {
		return nil, fmt.Errorf("%w: %d, want 1 to %d", ErrCapacity, capacity, MaxCapacity)
	}
	c := config{maxSpin: DefaultMaxSpin}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	size := uint64(1) << bits.Len64(uint64(capacity-1))
	q := &Queue[T]{
		buf:      make([]slot[T], size),
		mask:     size - 1,
		cap:      uint64(capacity),
		maxSpin:  c.maxSpin,
		notEmpty: make(chan struct{}, 1),
		notFull:  make(chan struct{}, 1),
	}
	ch := make(chan struct{})
	q.closeCh.Store(&ch)
	return q, nil
}

// Cap returns the capacity.
func (q *Queue[T]) Cap() int { return int(q.cap) }

// Len returns the number of items in the queue, between 0 and Cap. Items a
// consumer has taken but not yet published (inside a Consume batch) still
// count.
func (q *Queue[T]) Len() int {
	head := q.head.Load()
	tail := q.tail.Load() &^ closedBit
	if tail < head {
		return 0
	}
	return int(min(tail-head, q.cap))
}

// Accepted returns the number of puts accepted so far (the last sequence id
// given).
func (q *Queue[T]) Accepted() uint64 { return q.tail.Load() &^ closedBit }

// Taken returns the number of items taken so far, as published by the
// consumers (exact whenever no Consume is under way).
func (q *Queue[T]) Taken() uint64 { return q.head.Load() }

// Closed reports whether the queue is closed.
func (q *Queue[T]) Closed() bool { return q.tail.Load()&closedBit != 0 }

// TryPut adds v without waiting. It returns v's sequence id, or ErrFull or
// ErrClosed.
func (q *Queue[T]) TryPut(v T) (uint64, error) {
	seq, err := q.push(v)
	if err == nil && q.getWaiters.Load() > 0 {
		wake(q.notEmpty)
	}
	return seq, err
}

func (q *Queue[T]) push(v T) (uint64, error) {
	tail := q.tail.Load()
	for {
		if tail&closedBit != 0 {
			return 0, ErrClosed
		}
		if tail-q.headCache.Load() >= q.cap {
			head := q.head.Load()
			q.headCache.Store(head)
			if tail-head >= q.cap {
				return 0, ErrFull
			}
		}
		if q.tail.CompareAndSwap(tail, tail+1) {
			s := &q.buf[tail&q.mask]
			s.value = v
			s.stamp.Store(tail + 1)
			return tail + 1, nil
		}
		tail = q.tail.Load()
	}
}

// TryGet takes the oldest item without waiting. It returns ErrEmpty, or
// ErrClosed when the queue is closed and empty.
func (q *Queue[T]) TryGet() (T, uint64, error) {
	q.cmu.Lock()
	head := q.head.Load()
	v, err := q.take(head)
	if err == nil {
		q.head.Store(head + 1)
	}
	q.cmu.Unlock()
	if err != nil {
		return v, 0, err
	}
	q.afterGet()
	return v, head + 1, nil
}

// take reads the item at position head; the caller holds cmu.
func (q *Queue[T]) take(head uint64) (T, error) {
	var zero T
	s := &q.buf[head&q.mask]
	if err := q.ready(s, head); err != nil {
		return zero, err
	}
	v := s.value
	s.value = zero // drop references for the GC
	return v, nil
}

// ready reports whether slot s holds the item of position head: ErrEmpty
// if not (a put that has claimed the position but not finished writing it
// has not returned either, so the queue is empty as far as completed puts
// go). Only a closed queue reads tail, to tell ErrClosed from a put still
// writing; so a polling consumer touches no cache line but the slot's.
func (q *Queue[T]) ready(s *slot[T], head uint64) error {
	for s.stamp.Load() != head+1 {
		if !q.closed.Load() {
			return ErrEmpty
		}
		tail := q.tail.Load()
		if tail&^closedBit == head {
			if tail&closedBit != 0 {
				return ErrClosed
			}
			return ErrEmpty
		}
		runtime.Gosched() // claimed, not yet written: the producer is about to store
	}
	return nil
}

// TryConsume takes up to max items without waiting, calling fn with each
// item and its sequence id in order, and stops early when fn returns false.
// It returns how many items it took, and ErrEmpty (or ErrClosed) if there
// was none. fn gets a pointer into the queue's own storage, valid only
// until fn returns (the item is not copied). fn runs while the consumer
// lock is held: it must not call Get, TryGet, Consume or TryConsume on the
// same queue. Until the batch publishes its progress (every publishEvery
// items and at its end), the items it took still count in Len.
//
// Unlike Get, TryConsume does not clear the slots it reads: clearing would
// write to the cache line the next producer is writing, which costs more
// than the rest of the hand-over. A consumed item's references therefore
// stay reachable until a later put overwrites its slot: at most Cap items.
func (q *Queue[T]) TryConsume(max int, fn func(v *T, seq uint64) bool) (int, error) {
	q.cmu.Lock()
	head := q.head.Load()
	n := 0
	var err error
	for n < max {
		s := &q.buf[head&q.mask]
		if err = q.ready(s, head); err != nil {
			break
		}
		head++
		n++
		goOn := fn(&s.value, head)
		if n%publishEvery == 0 {
			q.head.Store(head)
			if q.putWaiters.Load() > 0 {
				wake(q.notFull)
			}
		}
		if !goOn {
			break
		}
	}
	if n > 0 {
		if n%publishEvery != 0 {
			q.head.Store(head)
		}
		q.cmu.Unlock()
		q.afterGet()
		return n, nil
	}
	q.cmu.Unlock()
	return 0, err
}

// publishEvery is how often a Consume batch publishes its progress, so that
// producers see room before the batch ends.
const publishEvery = 32

// pause busy-waits for n empty calls (a few nanoseconds each).
func pause(n int) {
	for range n {
		spin()
	}
}

//go:noinline
func spin() {}

// wake leaves a token on ch if there is none.
func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Put adds v, waiting while the queue is full until ctx ends. If the put can
// succeed at once it does, even when ctx has already ended. It returns v's
// sequence id, ErrClosed, or ctx.Err().
func (q *Queue[T]) Put(ctx context.Context, v T) (uint64, error) {
	for i := 0; ; i++ {
		seq, err := q.TryPut(v)
		if err != ErrFull {
			return seq, err
		}
		if i < q.maxSpin {
			if i >= tightSpins {
				runtime.Gosched()
			}
			continue
		}
		if err := q.park(ctx, &q.putWaiters, q.notFull, func() bool { return q.Len() < q.Cap() || q.Closed() }); err != nil {
			return 0, err
		}
	}
}

// park registers as a waiter, and unless ready() already holds, waits for
// a token, the end of ctx or Close. A token it took but did not need is
// passed on.
func (q *Queue[T]) park(ctx context.Context, waiters *atomic.Int32, tokens chan struct{}, ready func() bool) error {
	waiters.Add(1)
	defer waiters.Add(-1)
	if ready() {
		return nil
	}
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case <-tokens:
		return nil
	case <-*q.closeCh.Load():
		return nil
	case <-ctx.Done():
		if ready() && waiters.Load() > 1 {
			wake(tokens)
		}
		return ctx.Err()
	}
}

// afterPut is not needed: TryPut wakes consumers itself. afterGet wakes a
// producer, and chains the wake-up to another consumer if items remain (a
// token may have been dropped while several waited).
func (q *Queue[T]) afterGet() {
	if q.putWaiters.Load() > 0 {
		wake(q.notFull)
	}
	if q.getWaiters.Load() > 0 && q.Len() > 0 {
		wake(q.notEmpty)
	}
}

// Get takes the oldest item, waiting while the queue is empty until ctx
// ends. If an item is there it is taken, even when ctx has already ended.
// It returns ErrClosed once the queue is closed and empty, or ctx.Err().
func (q *Queue[T]) Get(ctx context.Context) (T, uint64, error) {
	for i := 0; ; i++ {
		v, seq, err := q.TryGet()
		if err != ErrEmpty {
			return v, seq, err
		}
		if err := q.wait(ctx, i); err != nil {
			return v, 0, err
		}
	}
}

// Consume is TryConsume that first waits, until ctx ends, for at least one
// item. It returns ErrClosed once the queue is closed and empty, or
// ctx.Err().
func (q *Queue[T]) Consume(ctx context.Context, max int, fn func(v *T, seq uint64) bool) (int, error) {
	for i := 0; ; i++ {
		n, err := q.TryConsume(max, fn)
		if err != ErrEmpty {
			return n, err
		}
		if err := q.wait(ctx, i); err != nil {
			return 0, err
		}
	}
}

// wait is one round of waiting for an item: spin i < maxSpin, then park.
// Each spin first pauses without touching shared memory, so that a waiting
// consumer does not pull the slot and tail cache lines away from the
// producer that is about to write them.
func (q *Queue[T]) wait(ctx context.Context, i int) error {
	if i < q.maxSpin {
		pause(64 << min(i, 3))
		if i >= tightSpins {
			runtime.Gosched()
		}
		return nil
	}
	return q.park(ctx, &q.getWaiters, q.notEmpty, func() bool { return q.Len() > 0 || q.Closed() })
}

// Close refuses every later put with ErrClosed and wakes all parked
// producers and consumers. Closing a closed queue does nothing.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		tail := q.tail.Load()
		if tail&closedBit != 0 {
			return
		}
		if q.tail.CompareAndSwap(tail, tail|closedBit) {
			break
		}
	}
	q.closed.Store(true)
	close(*q.closeCh.Load())
}

// Reopen accepts puts again after Close.
func (q *Queue[T]) Reopen() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.tail.Load()&closedBit == 0 {
		return
	}
	ch := make(chan struct{})
	q.closeCh.Store(&ch)
	q.closed.Store(false)
	for {
		tail := q.tail.Load()
		if q.tail.CompareAndSwap(tail, tail&^closedBit) {
			return
		}
	}
}

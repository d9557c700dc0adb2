// Package queue provides a bounded, lock-free, multi-producer multi-consumer
// FIFO queue with an exact capacity, spin-then-park blocking, sequence ids
// and closing.
//
// # Algorithm
//
// The ring is the array queue of Dmitry Vyukov as refined by crossbeam's
// ArrayQueue: head and tail are positions made of a lap and an index
// (lap | index, with the lap a multiple of the next power of two above the
// capacity), and each slot carries a stamp that tells producers and
// consumers whether it is theirs in the current lap. A put is one
// compare-and-swap on tail, a get one on head; the capacity is exact without
// a division.
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
	stamp atomic.Uint64
	value T
}

type pad [64]byte

// Queue is a bounded MPMC FIFO queue of T. Its methods are safe for
// concurrent use.
type Queue[T any] struct {
	_    pad
	head atomic.Uint64
	_    pad
	tail atomic.Uint64
	_    pad
	// waiters counts goroutines parked (or about to park) in Get and Put.
	getWaiters atomic.Int32
	putWaiters atomic.Int32
	_          pad

	buf      []slot[T]
	cap      uint64
	oneLap   uint64
	lapShift uint
	maxSpin  int

	notEmpty chan struct{} // tokens for parked consumers
	notFull  chan struct{} // tokens for parked producers

	mu      sync.Mutex
	closeCh atomic.Pointer[chan struct{}] // closed by Close
}

// New returns a queue holding at most capacity items (1 to MaxCapacity).
func New[T any](capacity int, opts ...Option) (*Queue[T], error) {
	if capacity < 1 || capacity > MaxCapacity {
		return nil, errors.Join(ErrCapacity, errors.New("queue capacity must be between 1 and 1<<30"))
	}
	c := config{maxSpin: DefaultMaxSpin}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	oneLap := uint64(1) << bits.Len64(uint64(capacity))
	q := &Queue[T]{
		buf:      make([]slot[T], capacity),
		cap:      uint64(capacity),
		oneLap:   oneLap,
		lapShift: uint(bits.TrailingZeros64(oneLap)),
		maxSpin:  c.maxSpin,
		notEmpty: make(chan struct{}, 1),
		notFull:  make(chan struct{}, 1),
	}
	for i := range q.buf {
		q.buf[i].stamp.Store(uint64(i))
	}
	ch := make(chan struct{})
	q.closeCh.Store(&ch)
	return q, nil
}

// Cap returns the capacity.
func (q *Queue[T]) Cap() int { return int(q.cap) }

// count converts a position to the number of items that passed it.
func (q *Queue[T]) count(pos uint64) uint64 {
	pos &^= closedBit
	return (pos>>q.lapShift)*q.cap + pos&(q.oneLap-1)
}

// Len returns the number of items in the queue, between 0 and Cap.
func (q *Queue[T]) Len() int {
	for {
		tail := q.tail.Load()
		head := q.head.Load()
		if q.tail.Load() == tail {
			n := int64(q.count(tail)) - int64(q.count(head))
			return int(min(max(n, 0), int64(q.cap)))
		}
	}
}

// Accepted returns the number of puts accepted so far (the last sequence id
// given).
func (q *Queue[T]) Accepted() uint64 { return q.count(q.tail.Load()) }

// Taken returns the number of items taken by gets so far (the sequence id of
// the last item taken).
func (q *Queue[T]) Taken() uint64 { return q.count(q.head.Load()) }

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
		index := tail & (q.oneLap - 1)
		lap := tail &^ (q.oneLap - 1)
		next := tail + 1
		if index+1 >= q.cap {
			next = lap + q.oneLap
		}
		s := &q.buf[index]
		stamp := s.stamp.Load()
		switch {
		case stamp == tail:
			if q.tail.CompareAndSwap(tail, next) {
				s.value = v
				s.stamp.Store(tail + 1)
				return q.count(tail) + 1, nil
			}
			tail = q.tail.Load()
		case stamp+q.oneLap == tail+1:
			// The slot still holds an item of the previous lap: full,
			// unless a consumer has just moved head.
			if q.head.Load()+q.oneLap == tail {
				return 0, ErrFull
			}
			runtime.Gosched()
			tail = q.tail.Load()
		default:
			// Another producer took this position and is writing.
			runtime.Gosched()
			tail = q.tail.Load()
		}
	}
}

// TryGet takes the oldest item without waiting. It returns ErrEmpty, or
// ErrClosed when the queue is closed and empty.
func (q *Queue[T]) TryGet() (T, uint64, error) {
	v, seq, err := q.pop()
	if err == nil && q.putWaiters.Load() > 0 {
		wake(q.notFull)
	}
	return v, seq, err
}

func (q *Queue[T]) pop() (T, uint64, error) {
	var zero T
	head := q.head.Load()
	for {
		index := head & (q.oneLap - 1)
		lap := head &^ (q.oneLap - 1)
		s := &q.buf[index]
		stamp := s.stamp.Load()
		switch {
		case head+1 == stamp:
			next := head + 1
			if index+1 >= q.cap {
				next = lap + q.oneLap
			}
			if q.head.CompareAndSwap(head, next) {
				v := s.value
				s.value = zero // drop references for the GC
				s.stamp.Store(head + q.oneLap)
				return v, q.count(head) + 1, nil
			}
			head = q.head.Load()
		case stamp == head:
			tail := q.tail.Load()
			if tail&^closedBit == head {
				if tail&closedBit != 0 {
					return zero, 0, ErrClosed
				}
				return zero, 0, ErrEmpty
			}
			// A producer has taken the slot and is still writing it.
			runtime.Gosched()
			head = q.head.Load()
		default:
			runtime.Gosched()
			head = q.head.Load()
		}
	}
}

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
		seq, err, done := q.parkPut(ctx, v)
		if done {
			return seq, err
		}
	}
}

// parkPut registers as a waiting producer, re-checks, and waits for a token.
func (q *Queue[T]) parkPut(ctx context.Context, v T) (uint64, error, bool) {
	q.putWaiters.Add(1)
	seq, err := q.push(v)
	if err != ErrFull {
		q.putWaiters.Add(-1)
		if err == nil {
			q.afterPut()
		}
		return seq, err, true
	}
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case <-q.notFull:
	case <-ctx.Done():
		q.putWaiters.Add(-1)
		// Pass on a token we may have been sent: another producer may need it.
		if q.Len() < int(q.cap) && q.putWaiters.Load() > 0 {
			wake(q.notFull)
		}
		return 0, ctx.Err(), true
	case <-*q.closeCh.Load():
	}
	q.putWaiters.Add(-1)
	seq, err = q.push(v)
	if err == ErrFull {
		return 0, nil, false // spurious wake-up: go round again
	}
	if err == nil {
		q.afterPut()
	}
	return seq, err, true
}

// afterPut wakes a consumer, and chains the wake-up to another producer if
// room remains (a token may have been dropped while several waited).
func (q *Queue[T]) afterPut() {
	if q.getWaiters.Load() > 0 {
		wake(q.notEmpty)
	}
	if q.putWaiters.Load() > 0 && q.Len() < int(q.cap) {
		wake(q.notFull)
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
		if i < q.maxSpin {
			if i >= tightSpins {
				runtime.Gosched()
			}
			continue
		}
		v, seq, err, done := q.parkGet(ctx)
		if done {
			return v, seq, err
		}
	}
}

func (q *Queue[T]) parkGet(ctx context.Context) (T, uint64, error, bool) {
	q.getWaiters.Add(1)
	v, seq, err := q.pop()
	if err != ErrEmpty {
		q.getWaiters.Add(-1)
		if err == nil {
			q.afterGet()
		}
		return v, seq, err, true
	}
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case <-q.notEmpty:
	case <-ctx.Done():
		q.getWaiters.Add(-1)
		if q.Len() > 0 && q.getWaiters.Load() > 0 {
			wake(q.notEmpty)
		}
		return v, 0, ctx.Err(), true
	case <-*q.closeCh.Load():
	}
	q.getWaiters.Add(-1)
	v, seq, err = q.pop()
	if err == ErrEmpty {
		return v, 0, nil, false
	}
	if err == nil {
		q.afterGet()
	}
	return v, seq, err, true
}

// afterGet wakes a producer, and chains the wake-up to another consumer if
// items remain.
func (q *Queue[T]) afterGet() {
	if q.putWaiters.Load() > 0 {
		wake(q.notFull)
	}
	if q.getWaiters.Load() > 0 && q.Len() > 0 {
		wake(q.notEmpty)
	}
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
	for {
		tail := q.tail.Load()
		if q.tail.CompareAndSwap(tail, tail&^closedBit) {
			return
		}
	}
}

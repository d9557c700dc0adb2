// Package queue provides a bounded, multi-producer multi-consumer FIFO
// queue with an exact capacity, spin-then-park blocking, sequence ids and
// closing.
//
// # Algorithm
//
// The queue is a ring of slots whose size is the next power of two at or
// above the capacity, so a position maps to its slot with a mask, not a
// division. Positions are 64-bit counters that never wrap in practice: tail
// is the next position to claim, head the next position to take. Each slot
// has a stamp, the position it holds plus one once its item is written.
//
// Producers are lock-free: a put claims position tail with one
// compare-and-swap, provided tail - head is below the capacity (so the
// capacity is exact however large the ring), writes the item into the slot
// and publishes it by storing the stamp, with a release store on amd64
// (the compare-and-swap is then the put's only fence: see
// publish_amd64.go). Producers keep a cached copy of head and read the
// consumers' head only when the cache says the queue is full, so a put
// touches no cache line a consumer writes except the slot.
//
// Consumers take items in order under a consumer lock, which is never
// contended with one consumer: a get checks the slot's stamp, copies the
// item out, clears the slot (so the queue keeps no references for the
// garbage collector) and then advances head, which is what tells producers
// the slot is free. A consumer polling an empty queue reads only head and
// the slot's stamp and takes no lock. Consume and TryConsume take a batch of
// items under one lock acquisition and publish head every few items, so a
// consumer that keeps up costs no atomic read-modify-write per item.
//
// # Sequence ids
//
// Every accepted put gets the next sequence id, starting at 1 and without
// gaps, in FIFO order: the id is the item's position plus one. A refused put
// (full, closed, context ended) consumes none. Gets return the id of the
// item they took; Accepted returns the last id given.
//
// # Blocking
//
// Put and Get first try; on a full (empty) queue they retry up to the
// WithMaxSpin count and then park on a token channel until the other side
// signals, the context ends or the queue is closed. PutSpin and PutSpinAt
// never park: they retry for the count of rounds they are given (WithMaxSpin
// does not apply to them) and then return ErrFull. Each retry first pauses
// on the monotonic clock without touching shared memory (50 ns, doubling up
// to 500 ns) and, after the first two, yields the processor: a waiter that
// polled at once would steal the cache lines the other side is writing on
// every item, and a waiter that kept its processor would delay the other
// side whenever the two share one. A blocked Put also retries only once
// there is room for a batch (an eighth of the capacity, at most 512), so
// that producer and consumer work on different cache lines. A parked
// goroutine uses no CPU and no timer, and parking allocates nothing. A
// goroutine that parks first counts itself as a waiter and then checks the
// queue again; the other side checks the waiter count after its own
// operation, so one of the two always sees the other (sync/atomic is
// sequentially consistent; a parking consumer checks tail, which a put
// changes with its compare-and-swap, rather than the stamp, which it
// publishes with a release store: see canGet). A consumer that finds a
// position claimed but its item not yet published yields and looks again
// instead of parking. A wake-up token can be dropped while another is
// pending, so a woken goroutine whose operation succeeded passes a token on
// when other waiters remain and the queue still has room (items).
//
// If the context has already ended but the operation can complete at once,
// Put and Get complete it; they return the context's error only when they
// would have to wait. A nil context is context.Background().
//
// # Closing
//
// Close sets a bit in tail, so it refuses every later put with ErrClosed
// atomically with respect to the compare-and-swap that accepts a put: no
// put is accepted after Close returns. Items already accepted stay and can
// still be taken; Get and TryGet return ErrClosed (not ErrEmpty) once a
// closed queue is empty. Close wakes every parked goroutine: producers
// return ErrClosed, consumers drain what is left and then return ErrClosed.
// Reopen accepts puts again; sequence ids continue where they stopped.
//
// # Callbacks
//
// TryConsume and Consume call fn for each item under the consumer lock,
// and TryPutAt, PutAt and PutSpinAt call at between claiming a position and
// publishing its item. Whatever a callback does (return, panic,
// runtime.Goexit), the queue stays usable and loses nothing it accepted:
//
//   - A consume callback that panics or exits ends its batch as if it had
//     returned false: the item it was given counts as taken (it is not
//     delivered again), the items after it stay queued, the lock is
//     released and waiting producers are woken; then the panic continues
//     to the caller.
//   - A put whose at panics or exits still completes: its item is
//     published and taken in order like any other, with its sequence id
//     and whatever at wrote before it stopped, and it counts as accepted;
//     then the panic continues to the caller, which gets no sequence id.
//
// # Options
//
// An option given an invalid value (WithMaxSpin(-1)) makes New return an
// error wrapping ErrOption that names the option and the value.
package queue

import (
	"context"
	"errors"
	"fmt"
	"math/bits"

	"github.com/eventengine/eventengine/internal/ticks"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ErrFull is returned by TryPut when the queue holds Cap items.
var ErrFull = errors.New("queue full")

// ErrEmpty is returned by TryGet and TryConsume when the queue is empty
// (and not closed).
var ErrEmpty = errors.New("queue empty")

// ErrClosed is returned by puts on a closed queue, and by gets once a closed
// queue is empty.
var ErrClosed = errors.New("queue closed")

// ErrCapacity is returned by New for a capacity outside 1 to MaxCapacity.
var ErrCapacity = errors.New("invalid capacity")

// ErrOption is returned by New for an option given an invalid value; the
// error names the option and the value.
var ErrOption = errors.New("invalid option")

// DefaultMaxSpin is the default number of retries before a blocked Put or
// Get parks: some tens of microseconds of spinning (see WithMaxSpin).
const DefaultMaxSpin = 100

// MaxCapacity is the largest capacity New accepts.
const MaxCapacity = 1 << 30

// closedBit marks a closed queue in tail; positions stay far below it.
const closedBit = uint64(1) << 63

// Waiter counts share one word, so the hot path checks both with one load:
// parked consumers in the low half, parked producers in the high half.
const (
	getWaiter = uint64(1)
	putWaiter = uint64(1) << 32
	getMask   = putWaiter - 1
)

// Option configures a Queue. An option given an invalid value makes New
// return an error wrapping ErrOption.
type Option func(*config) error

type config struct {
	maxSpin  int
	idleSpin time.Duration
	ioYield  time.Duration
}

// WithIOYield makes a Consume that finds the queue empty park at once,
// without spinning, when the consumer has not parked for d: a consumer that
// keeps finding items within its spin then still leaves its processor idle
// now and then. Go's scheduler looks for goroutines whose network I/O is
// ready when a processor has nothing to run, and otherwise only every
// 10 ms; a spinning consumer yields to the run queues but never leaves its
// processor idle, so in a process that also does network I/O (a NATS
// bridge, an HTTP server) a feed with gaps shorter than the spin made every
// read wait up to 10 ms (natsbridge BenchmarkLatency). The cost: one
// wake-up, some tens of microseconds, every d of continuous spinning, for
// the items that arrive while the consumer is parked. 0 (the default) turns
// it off; a negative d makes New return an error wrapping ErrOption.
func WithIOYield(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: WithIOYield(%v): a duration cannot be negative (0 turns it off)", ErrOption, d)
		}
		c.ioYield = d
		return nil
	}
}

// DefaultIdleSpin is the default of WithIdleSpin.
const DefaultIdleSpin = time.Millisecond

// WithIdleSpin sets the longest a Consume on an empty queue keeps spinning,
// after its WithMaxSpin rounds, before it parks. Within that bound it spins
// for twice the recent gaps between items: a feed that arrives in bursts a
// few hundred microseconds apart then finds the consumer awake, instead of
// paying a wake-up (tens of microseconds on a busy machine) for the first
// item of every burst; a consumer that waited longer than d for its last
// items spins for less, halving with every such gap. The trade: while items
// keep coming at gaps under d, the consumer keeps a core busy; an idle
// queue's consumer spins at most once, for at most d, and then parks and
// uses no CPU. The spin ends, as parking does, when Consume's context
// ends. 0 turns the adaptation off (Consume then spins WithMaxSpin
// rounds and parks, as Get and Put do); it is off too with WithMaxSpin(0).
// A negative d makes New return an error wrapping ErrOption.
func WithIdleSpin(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: WithIdleSpin(%v): a duration cannot be negative (0 turns it off)", ErrOption, d)
		}
		c.idleSpin = d
		return nil
	}
}

// WithMaxSpin sets how many times a blocking Put or Get retries before
// parking (the reference's max_spin). Each retry pauses for at most about a
// microsecond (50 ns, doubling to 500 ns, plus a yield), so the default of
// 100 spins for some tens of microseconds; 0 parks at once, as a channel
// operation does. A negative n makes New return an error wrapping
// ErrOption. It does not apply to PutSpin, which spins for the count it is
// given and never parks.
func WithMaxSpin(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: WithMaxSpin(%d): a retry count cannot be negative (0 parks at once)", ErrOption, n)
		}
		c.maxSpin = n
		return nil
	}
}

// slot holds one item: 8 bytes of stamp, then the item. A slot is best a
// whole cache line or an exact fraction of one: then it never straddles two
// lines, and a put and a get of one item touch one line. Whole-line slots
// (56-byte items) never share a line, so a producer writing slot i+1 does
// not steal the line of slot i from the consumer reading it; half-line
// slots (24-byte items: the engine packs its message to that) put two items
// in each line, so a stream of items moves half as many lines between
// producer and consumer. A buffer over 32 KiB is page-aligned, so slots of
// 32 or 64 bytes sit on line boundaries there (the engine's default
// capacity gives a 128 KiB buffer). A smaller buffer of an item with
// pointers starts 8 bytes into its allocation (the runtime's malloc header,
// for objects over 512 bytes), so there half of the 32-byte slots and all
// of the 64-byte ones straddle two lines, which costs up to twice as many
// cache misses per item when producer and consumer run on different cores.
type slot[T any] struct {
	stamp atomic.Uint64 // position+1 once the item of that position is written
	value T
}

// pad keeps the hot fields on cache lines of their own (64 bytes, plus the
// adjacent-line prefetcher's pair).
type pad [120]byte

// Queue is a bounded FIFO queue of T for many producers and consumers. Its
// methods are safe for concurrent use. Create one with New.
type Queue[T any] struct {
	_ pad
	// Read-only after New: read by every operation, so kept away from
	// anything written while items flow.
	buf      []slot[T]
	mask     uint64
	cap      uint64
	refill   uint64 // a spinning producer retries once Len is at most this
	maxSpin  int
	idleSpin int64         // WithIdleSpin in ns; 0: off
	ioYield  int64         // WithIOYield in ns; 0: off
	notEmpty chan struct{} // tokens for parked consumers
	notFull  chan struct{} // tokens for parked producers
	_        pad
	tail     atomic.Uint64 // next position to claim; closedBit when closed
	_        pad
	head     atomic.Uint64 // next position to take, published after the take
	_        pad
	// headCache is a recent value of head for producers, so that a put reads
	// the consumers' cache line only when the queue looks full.
	headCache atomic.Uint64
	_         pad
	waiters   atomic.Uint64 // parked (or about to park) Gets and Puts
	closed    atomic.Bool   // set after the closed bit, cleared before it
	_         pad
	cmu       sync.Mutex // held by the consumer taking items
	// spinFor is how long Consume spins on an empty queue before it parks
	// (ns; see WithIdleSpin); written by consumers only, in their slow path.
	spinFor atomic.Int64
	// awake is when the consumer last woke from parking (ns; see
	// netpollEvery).
	awake atomic.Int64
	// parkEmpty makes Consume park as soon as it finds the queue empty
	// (SetParkWhenEmpty); read in its slow path only.
	parkEmpty atomic.Bool
	_         pad

	mu      sync.Mutex                    // Close and Reopen
	closeCh atomic.Pointer[chan struct{}] // closed by Close, replaced by Reopen
}

// New returns an empty queue holding at most capacity items. It returns an
// error wrapping ErrCapacity unless 1 <= capacity <= MaxCapacity, and one
// wrapping ErrOption for an option given an invalid value. Nil options are
// ignored.
func New[T any](capacity int, opts ...Option) (*Queue[T], error) {
	if capacity < 1 || capacity > MaxCapacity {
		return nil, fmt.Errorf("%w: %d, want 1 to %d", ErrCapacity, capacity, MaxCapacity)
	}
	c := config{maxSpin: DefaultMaxSpin, idleSpin: DefaultIdleSpin}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	size := uint64(1) << bits.Len64(uint64(capacity-1))
	q := &Queue[T]{
		buf:      make([]slot[T], size),
		mask:     size - 1,
		cap:      uint64(capacity),
		refill:   uint64(capacity - max(1, min(capacity/8, 512))),
		maxSpin:  c.maxSpin,
		idleSpin: int64(c.idleSpin),
		ioYield:  int64(c.ioYield),
		notEmpty: make(chan struct{}, 1),
		notFull:  make(chan struct{}, 1),
	}
	ch := make(chan struct{})
	q.closeCh.Store(&ch)
	return q, nil
}

// Cap returns the capacity given to New.
func (q *Queue[T]) Cap() int { return int(q.cap) }

// Len returns the number of items in the queue, between 0 and Cap: accepted
// puts minus finished gets. Items a consumer is taking inside a Consume
// batch not yet published still count.
func (q *Queue[T]) Len() int {
	head := q.head.Load()
	tail := q.tail.Load() &^ closedBit
	if tail < head {
		return 0
	}
	return int(min(tail-head, q.cap))
}

// Accepted returns the number of puts accepted so far, which is the last
// sequence id given.
func (q *Queue[T]) Accepted() uint64 { return q.tail.Load() &^ closedBit }

// Taken returns the number of items taken so far, as published by the
// consumers (exact whenever no Consume is under way).
func (q *Queue[T]) Taken() uint64 { return q.head.Load() }

// Ready reports whether the n-th oldest item (n >= 1) has been written, so
// that at least about n items wait to be taken (with several producers an
// older item may still be being written). It reads that item's slot and
// nothing that producers write on every put.
func (q *Queue[T]) Ready(n int) bool {
	if n < 1 {
		return true
	}
	pos := q.head.Load() + uint64(n) - 1
	return q.buf[pos&q.mask].stamp.Load() == pos+1
}

// Gather waits, busy and for at most wait, until Ready(n) or the queue is
// closed, pausing gatherStep between looks, and reports whether n items are
// ready (never, if n is above Cap). It takes nothing. A consumer that has
// caught up with a busy producer calls it before its next batch: a
// consumer that takes each item the moment it is written reads, and its
// prefetcher fetches, the cache lines the producer is writing, which then
// travel back and forth between their cores. Letting a backlog build up
// keeps the two sides on different lines, at the price of delaying the end
// of a burst by at most wait. It does not yield the processor: the
// producers that would make progress run on other processors, and a
// consumer that yielded to one of several producers sharing its processor
// waits longer than it gains (the engine's BenchmarkEngine4P1C, with four
// producers on two processors; figures in docs/benchmarks.md).
func (q *Queue[T]) Gather(n int, wait time.Duration) bool {
	end := ticks.Nanotime() + int64(wait)
	for {
		if q.Ready(n) {
			return true
		}
		if q.closed.Load() || ticks.Nanotime() >= end {
			return false
		}
		pauseNs(gatherStep)
	}
}

// gatherStep is the pause between two looks of Gather, in nanoseconds.
const gatherStep = 200

// Waiters returns how many producers and consumers are parked (or about to
// park) now. A goroutine still spinning does not count: a consumer that
// waits on an idle queue counts once its spinning ended and it uses no CPU.
func (q *Queue[T]) Waiters() (producers, consumers int) {
	w := q.waiters.Load()
	return int(w / putWaiter), int(w & getMask)
}

// Closed reports whether the queue is closed.
func (q *Queue[T]) Closed() bool { return q.tail.Load()&closedBit != 0 }

// TryPut adds v without waiting. It returns v's sequence id, or ErrFull or
// ErrClosed.
func (q *Queue[T]) TryPut(v T) (uint64, error) {
	return q.tryPut(&v, nil)
}

// TryPutAt is TryPut that calls at with the position it claimed (v's
// sequence id minus one) after writing v into its slot and before
// publishing it, so that the caller can keep data beside the queue indexed
// by position (say in an array of a power-of-two size at least Cap, at
// pos&(size-1)): whatever at writes happens before a consumer takes v,
// and the position is not claimed again before that consumer's batch has
// published its progress (Consume's fn returned, or Get returned). at runs
// while the item is not yet visible, so it must be short and must not use
// the queue; it is not called for a refused put.
//
// If at panics or calls runtime.Goexit, the put still completes before the
// panic goes on to TryPutAt's caller (which gets no sequence id): v is
// published at its position, and consumers take it as any other item, with
// its sequence id and whatever at wrote before it stopped. The put counts
// as accepted (in Accepted and Len), so the items after it stay in order
// and visible.
func (q *Queue[T]) TryPutAt(v T, at func(pos uint64)) (uint64, error) {
	return q.tryPut(&v, at)
}

func (q *Queue[T]) tryPut(v *T, at func(pos uint64)) (uint64, error) {
	seq, err := q.push(v, at)
	if err == nil && q.waiters.Load() != 0 {
		q.afterPut()
	}
	return seq, err
}

// push claims a position, writes *v into its slot, calls at (if not nil)
// and publishes the slot.
func (q *Queue[T]) push(v *T, at func(pos uint64)) (uint64, error) {
	tail := q.tail.Load()
	for {
		if tail&closedBit != 0 {
			return 0, ErrClosed
		}
		if tail-q.headCache.Load() >= q.cap {
			if testHookFull != nil {
				testHookFull(tail)
			}
			head := q.head.Load()
			q.headCache.Store(head)
			if tail-head >= q.cap {
				if head > tail {
					// tail is stale: while this producer was away, others
					// put and consumers took past it (tail-head wrapped).
					tail = q.tail.Load()
					continue
				}
				return 0, ErrFull
			}
		}
		if q.tail.CompareAndSwap(tail, tail+1) {
			s := &q.buf[tail&q.mask]
			s.value = *v
			if at != nil {
				q.callAt(at, tail, s)
			}
			publish(&s.stamp, tail+1) // a release store: see publish_amd64.go
			return tail + 1, nil
		}
		tail = q.tail.Load()
	}
}

// callAt calls at(pos) for the put that claimed pos and wrote its item
// into s. If at panics or calls runtime.Goexit, the deferred function
// publishes the slot (a claimed slot never published would hide every
// later item from the consumers, and make a consumer of a closed queue
// spin on it for good) and wakes a parked consumer, as the put would have;
// the panic then goes on. The defer is open-coded: TryPut, which has no
// at, does not call callAt (BenchmarkTryPutAtTryGet).
func (q *Queue[T]) callAt(at func(pos uint64), pos uint64, s *slot[T]) {
	returned := false
	defer func() {
		if !returned {
			publish(&s.stamp, pos+1)
			if q.waiters.Load() != 0 {
				q.afterPut()
			}
		}
	}()
	at(pos)
	returned = true
}

// testHookFull, if set (by tests only), is called by a put that found the
// queue full by its cached head, between its load of tail and its load of
// head: the interleaving in which a stale tail lags behind head. It is
// checked only on that slow path, never by a put that finds room.
var testHookFull func(tail uint64)

// afterPut wakes a parked consumer, and passes a wake-up on to another
// parked producer while there is room (its token may have been dropped).
func (q *Queue[T]) afterPut() {
	w := q.waiters.Load()
	if w&getMask != 0 {
		wake(q.notEmpty)
	}
	if w >= putWaiter && q.Len() < q.Cap() {
		wake(q.notFull)
	}
}

// afterGet wakes a parked producer, and passes a wake-up on to another
// parked consumer while items remain.
func (q *Queue[T]) afterGet() {
	w := q.waiters.Load()
	if w >= putWaiter {
		wake(q.notFull)
	}
	if w&getMask != 0 && q.Len() > 0 {
		wake(q.notEmpty)
	}
}

// TryGet takes the oldest item without waiting. It returns the item and its
// sequence id, or ErrEmpty, or ErrClosed when the queue is closed and empty.
func (q *Queue[T]) TryGet() (T, uint64, error) {
	var v T
	seq, err := q.pop(&v)
	return v, seq, err
}

// pop takes the oldest item into *dst.
func (q *Queue[T]) pop(dst *T) (uint64, error) {
	if !q.mayHave() {
		return 0, ErrEmpty
	}
	q.cmu.Lock()
	head := q.head.Load()
	s := &q.buf[head&q.mask]
	if err := q.ready(s, head); err != nil {
		q.cmu.Unlock()
		return 0, err
	}
	var zero T
	*dst = s.value
	s.value = zero // drop references for the GC
	q.head.Store(head + 1)
	q.cmu.Unlock()
	if q.waiters.Load() != 0 {
		q.afterGet()
	}
	return head + 1, nil
}

// mayHave is the lock-free check that an item may be ready: false only if
// the queue is open and head's slot had no item while head stayed put.
func (q *Queue[T]) mayHave() bool {
	head := q.head.Load()
	if q.buf[head&q.mask].stamp.Load() == head+1 || q.closed.Load() {
		return true
	}
	return q.head.Load() != head
}

// ready reports whether slot s holds the item of position head: ErrEmpty
// if not (a put that has claimed the position but not finished writing it
// has not returned either, so the queue is empty as far as completed puts
// go). Only a closed queue reads tail, to tell ErrClosed from a put still
// writing; so a polling consumer touches no cache line but the slot's. The
// caller holds cmu.
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
// until fn returns (the item is not copied); fn may write through it, say
// to clear the item. fn runs while the consumer lock is held: it must not
// call Get, TryGet, Consume or TryConsume on the same queue. Until the batch
// publishes its progress (every publishEvery items and at its end), the
// items it took still count in Len.
//
// If fn panics or calls runtime.Goexit, the batch ends there as if fn had
// returned false: the item fn was given counts as taken (the next consume
// does not deliver it again, and Taken includes it), the items after it
// stay queued for the next consume, the lock is released and waiting
// producers are woken; then the panic goes on to TryConsume's caller (or
// the goroutine exits).
//
// Unlike Get, TryConsume does not clear the slots it reads: clearing would
// write to the cache line the next producer is writing, which costs more
// than the rest of the hand-over. A consumed item's references therefore
// stay reachable until a later put overwrites its slot: at most Cap items.
func (q *Queue[T]) TryConsume(max int, fn func(v *T, seq uint64) bool) (int, error) {
	if max <= 0 {
		return 0, nil
	}
	if !q.mayHave() {
		return 0, ErrEmpty
	}
	q.cmu.Lock()
	head := q.head.Load()
	n := 0
	// Whatever fn does (return, panic, runtime.Goexit), the batch ends
	// here: head is published, so the item fn was given counts as taken,
	// and the lock is released. An open-coded defer: a few instructions on
	// the way out, none per item (BenchmarkQueue1P1CConsume).
	defer func() { q.endConsume(head, n) }()
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
			if q.waiters.Load() >= putWaiter {
				wake(q.notFull)
			}
		}
		if !goOn {
			break
		}
	}
	if n > 0 {
		return n, nil
	}
	return 0, err
}

// endConsume ends a TryConsume batch that took n items and stopped at head:
// it publishes head unless the batch has just done so, releases the
// consumer lock and wakes a waiter that the room (or the items left) let
// proceed.
func (q *Queue[T]) endConsume(head uint64, n int) {
	if n == 0 {
		q.cmu.Unlock()
		return
	}
	if q.head.Load() != head {
		q.head.Store(head)
	}
	q.cmu.Unlock()
	if q.waiters.Load() != 0 {
		q.afterGet()
	}
}

// publishEvery is how often a Consume batch publishes its progress, so that
// producers see room before the batch ends.
const publishEvery = 32

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
	return q.put(ctx, &v, true, 0, nil)
}

// PutAt is Put that calls at as TryPutAt does.
func (q *Queue[T]) PutAt(ctx context.Context, v T, at func(pos uint64)) (uint64, error) {
	return q.put(ctx, &v, true, 0, at)
}

// PutSpin is Put that never parks, whatever WithMaxSpin says: while the
// queue is full it retries as Put does for at most spins rounds (each
// pausing under a microsecond, and yielding the processor from the third
// on) and then returns ErrFull; with spins <= 0 it tries once. If ctx has
// ended by then it returns ctx.Err(). So a goroutine that is the only one
// able to make room (a queue's own consumer) can call it and not wait for
// itself.
func (q *Queue[T]) PutSpin(ctx context.Context, v T, spins int) (uint64, error) {
	return q.put(ctx, &v, false, spins, nil)
}

// PutSpinAt is PutSpin that calls at as TryPutAt does.
func (q *Queue[T]) PutSpinAt(ctx context.Context, v T, spins int, at func(pos uint64)) (uint64, error) {
	return q.put(ctx, &v, false, spins, at)
}

// put adds *v, calling at as TryPutAt does. On a full queue it waits as Put
// does if park is set; otherwise it only spins (see spin), for at most spins
// rounds, and never parks, whatever WithMaxSpin says.
func (q *Queue[T]) put(ctx context.Context, v *T, park bool, spins int, at func(pos uint64)) (uint64, error) {
	for i := 0; ; i++ {
		seq, err := q.push(v, at)
		if err == nil {
			if q.waiters.Load() != 0 {
				q.afterPut()
			}
			return seq, nil
		}
		if err != ErrFull {
			return 0, err
		}
		// Full: while spinning, retry only once there is room for a
		// batch, so that this producer then writes slots the consumer has
		// left rather than taking each slot the moment it is freed (which
		// pulls the consumer's cache lines back and forth on every item).
		for ; ; i++ {
			if park {
				if err := q.wait(ctx, i, putWaiter, q.notFull, q.canPut); err != nil {
					return 0, err
				}
				if i >= q.maxSpin {
					break // woken from parking: retry
				}
			} else {
				if i >= spins {
					if ctx != nil && ctx.Err() != nil {
						return 0, ctx.Err()
					}
					return 0, ErrFull
				}
				spin(i)
				if i == spins-1 {
					break // the last round: retry whatever the room
				}
			}
			if uint64(q.Len()) <= q.refill {
				break
			}
		}
	}
}

// Get takes the oldest item, waiting while the queue is empty until ctx
// ends. If an item is there it is taken, even when ctx has already ended.
// It returns the item and its sequence id, ErrClosed once the queue is
// closed and empty, or ctx.Err().
func (q *Queue[T]) Get(ctx context.Context) (T, uint64, error) {
	var v T
	for i := 0; ; i++ {
		seq, err := q.pop(&v)
		if err != ErrEmpty {
			return v, seq, err
		}
		if err := q.wait(ctx, i, getWaiter, q.notEmpty, q.canGet); err != nil {
			return v, 0, err
		}
	}
}

// Consume is TryConsume that first waits, until ctx ends, for at least one
// item. It returns ErrClosed once the queue is closed and empty, or
// ctx.Err().
func (q *Queue[T]) Consume(ctx context.Context, max int, fn func(v *T, seq uint64) bool) (int, error) {
	var since int64 // when this call found the queue empty; 0: not yet
	i := 0          // wait rounds; from maxSpin on: park
	for ; ; i++ {
		n, err := q.TryConsume(max, fn)
		if err != ErrEmpty {
			q.waited(since)
			return n, err
		}
		if i == 0 && q.parkEmpty.Load() {
			since = ticks.Nanotime()
			break // SetParkWhenEmpty: no spin
		}
		if q.maxSpin > 0 && (q.idleSpin > 0 || q.ioYield > 0) {
			now := ticks.Nanotime()
			if since == 0 {
				since = now
				if q.ioYield > 0 && now-q.awake.Load() > q.ioYield {
					i = q.maxSpin // park now (WithIOYield)
				}
			} else if q.idleSpin > 0 && i >= q.maxSpin && now-since < q.spinFor.Load() && (ctx == nil || ctx.Err() == nil) {
				spin(i) // WithIdleSpin: the recent gaps say an item is near
				continue
			}
		}
		if i >= q.maxSpin {
			break
		}
		spin(i)
	}
	for {
		err := q.park(ctx, getWaiter, q.notEmpty, q.canGet)
		if q.ioYield > 0 {
			q.awake.Store(ticks.Nanotime())
		}
		if err != nil {
			return 0, err
		}
		n, err := q.TryConsume(max, fn)
		if err != ErrEmpty {
			q.waited(since)
			return n, err
		}
	}
}

// waited ends a Consume that found the queue empty at since (0: it did
// not), teaching the idle spin the gap it waited (see WithIdleSpin).
func (q *Queue[T]) waited(since int64) {
	if since != 0 && q.idleSpin > 0 {
		q.learnGap(ticks.Nanotime() - since)
	}
}

// learnGap adapts how long Consume spins on an empty queue to a gap of g ns
// between finding the queue empty and taking an item (see WithIdleSpin):
// a gap within the bound sets the spin to at least twice it (decaying by a
// quarter at each gap, so that it follows the longer of the recent gaps);
// a longer gap halves it.
func (q *Queue[T]) learnGap(g int64) {
	b := q.spinFor.Load()
	if g <= q.idleSpin {
		b = min(max(b-b/4, 2*g), q.idleSpin)
	} else {
		b /= 2
	}
	q.spinFor.Store(b)
}

// SetParkWhenEmpty makes a Consume that finds the queue empty park at once
// (on) instead of spinning first (WithMaxSpin, WithIdleSpin), or restores
// the spin (off), and returns the previous setting. It is for a consumer
// in a process whose network I/O needs the processors: Go's scheduler
// polls the network when a processor has nothing to run, and otherwise
// only every 10 ms, so a consumer spinning through the gaps between items
// delays every read of the process's connections (see WithIOYield, which
// parks only now and then). The cost is a wake-up for the first item after
// each gap. It may be called at any time; a Consume under way sees it at
// its next wait. Puts are not affected.
func (q *Queue[T]) SetParkWhenEmpty(on bool) (was bool) { return q.parkEmpty.Swap(on) }

// canPut reports whether a put would not find the queue full.
func (q *Queue[T]) canPut() bool { return q.Len() < q.Cap() || q.Closed() }

// canGet reports whether a get would not find the queue empty, or will
// not once a put under way publishes its item. It is the check a consumer
// makes after it counts itself as a waiter, so it reads tail, not head's
// stamp: the producer publishes the stamp with a release store that its
// next load (of the waiter count) may overtake, but it claims its position
// with a compare-and-swap that no load overtakes. So either the producer
// sees the waiter and wakes it, or canGet sees the claimed position.
func (q *Queue[T]) canGet() bool {
	return q.tail.Load()&^closedBit != q.head.Load() || q.Closed()
}

// wait is round i of waiting of a blocking Put, Get or Consume: spin while
// i < maxSpin, then park. PutSpin, which never parks, calls spin alone.
func (q *Queue[T]) wait(ctx context.Context, i int, self uint64, tokens chan struct{}, ready func() bool) error {
	if i >= q.maxSpin {
		return q.park(ctx, self, tokens, ready)
	}
	spin(i)
	return nil
}

// spin is spin round i. It pauses (busy, on the monotonic clock, touching no
// shared memory) for spinFirst ns, doubling up to spinMax, so that the other
// side gets a batch done before the next look and keeps the cache lines it
// is writing; from round yieldAfter on it also yields the processor, so
// that a goroutine made runnable on this P (often the other side, just
// woken) runs here instead of waiting for another thread to steal it. That
// matters when the machine is busy and the two sides do not both have a
// core: spinning then only delays the side that would make progress.
func spin(i int) {
	pauseNs(min(int64(spinFirst)<<min(i, 8), spinMax))
	if i >= yieldAfter {
		runtime.Gosched()
	}
}

// Spin rounds: pauses of spinFirst ns doubling to spinMax, yielding from
// round yieldAfter on. With DefaultMaxSpin rounds a waiter spins for some
// tens of microseconds (longer than the gaps between messages of a busy
// stream, much shorter than a scheduler time slice) before it parks.
const (
	spinFirst  = 50  // ns
	spinMax    = 500 // ns
	yieldAfter = 2
)

// pauseNs busy-waits about d nanoseconds.
func pauseNs(d int64) {
	end := ticks.Nanotime() + d
	for ticks.Nanotime() < end {
	}
}

// park registers as a waiter, and unless ready() already holds, waits for
// a token, the end of ctx or Close. A token it took while the condition
// holds for others too is passed on by the caller's afterPut/afterGet once
// its operation succeeds; a token it cannot use because ctx ended is passed
// on here.
func (q *Queue[T]) park(ctx context.Context, self uint64, tokens chan struct{}, ready func() bool) error {
	q.waiters.Add(self)
	defer q.waiters.Add(-self)
	if ready() {
		if self == getWaiter {
			// Maybe only claimed: let the producer finish its put.
			runtime.Gosched()
		}
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
		if ready() && (q.waiters.Load()/self)&getMask > 1 {
			wake(tokens) // another waiter may need the token we would have had
		}
		return ctx.Err()
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
	q.closed.Store(true)
	close(*q.closeCh.Load())
}

// Reopen accepts puts again after Close; sequence ids continue where they
// stopped. Reopening an open queue does nothing.
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

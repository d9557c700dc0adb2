package queue

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func mustNew[T any](t testing.TB, n int, opts ...Option) *Queue[T] {
	t.Helper()
	q, err := New[T](n, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestCapacityExactAndSeq(t *testing.T) {
	for _, c := range []int{1, 2, 3, 7, 8, 4095, 4096} {
		q := mustNew[int](t, c)
		var seq uint64
		for lap := 0; lap < 3; lap++ {
			for i := 0; i < c; i++ {
				s, err := q.TryPut(i)
				if err != nil {
					t.Fatalf("cap %d lap %d put %d: %v", c, lap, i, err)
				}
				seq++
				if s != seq {
					t.Fatalf("cap %d: seq %d, want %d", c, s, seq)
				}
				if q.Len() != i+1 || q.Len() > q.Cap() {
					t.Fatalf("cap %d: Len %d after %d puts", c, q.Len(), i+1)
				}
			}
			if _, err := q.TryPut(-1); !errors.Is(err, ErrFull) {
				t.Fatalf("cap %d: put on full: %v", c, err)
			}
			for i := 0; i < c; i++ {
				v, s, err := q.TryGet()
				if err != nil || v != i || s != seq-uint64(c)+uint64(i)+1 {
					t.Fatalf("cap %d: get %d = %d seq %d %v", c, i, v, s, err)
				}
			}
			if _, _, err := q.TryGet(); !errors.Is(err, ErrEmpty) {
				t.Fatalf("cap %d: get on empty: %v", c, err)
			}
		}
		if q.Accepted() != seq || q.Taken() != seq {
			t.Fatalf("cap %d: Accepted %d Taken %d want %d", c, q.Accepted(), q.Taken(), seq)
		}
	}
	for _, c := range []int{0, -1, MaxCapacity + 1} {
		if _, err := New[int](c); !errors.Is(err, ErrCapacity) {
			t.Fatalf("New(%d): %v", c, err)
		}
	}
}

func TestContextAndTimeouts(t *testing.T) {
	q := mustNew[int](t, 1, WithMaxSpin(4))
	q.TryPut(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Put(ctx, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with cancelled ctx on full queue: %v", err)
	}
	tctx, tcancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer tcancel()
	if _, err := q.Put(tctx, 2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Put with timeout: %v", err)
	}
	if v, s, err := q.Get(ctx); err != nil || v != 1 || s != 1 {
		t.Fatalf("Get with ended ctx but an item: %d %d %v", v, s, err)
	}
	if _, _, err := q.Get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with ended ctx on empty queue: %v", err)
	}
	if s, err := q.TryPut(3); err != nil || s != 2 {
		t.Fatalf("refused puts consumed sequence ids: seq %d %v", s, err)
	}
}

func TestCloseReopen(t *testing.T) {
	q := mustNew[int](t, 4, WithMaxSpin(0))
	q.TryPut(1)
	// Parked consumers and producers are woken by Close.
	full := mustNew[int](t, 1, WithMaxSpin(0))
	full.TryPut(0)
	empty := mustNew[int](t, 1, WithMaxSpin(0))
	errs := make(chan error, 2)
	go func() { _, err := full.Put(context.Background(), 1); errs <- err }()
	go func() { _, _, err := empty.Get(context.Background()); errs <- err }()
	for full.waiters.Load() < putWaiter || empty.waiters.Load() == 0 {
		runtime.Gosched() // until both are parked or about to park
	}
	full.Close()
	empty.Close()
	for range 2 {
		if err := <-errs; !errors.Is(err, ErrClosed) {
			t.Fatalf("parked op after Close: %v", err)
		}
	}
	q.Close()
	q.Close()
	if _, err := q.TryPut(2); !errors.Is(err, ErrClosed) {
		t.Fatalf("put after Close: %v", err)
	}
	if v, _, err := q.Get(context.Background()); err != nil || v != 1 {
		t.Fatalf("get of an accepted item after Close: %d %v", v, err)
	}
	if _, _, err := q.TryGet(); !errors.Is(err, ErrClosed) {
		t.Fatalf("get on closed empty queue: %v", err)
	}
	q.Reopen()
	if s, err := q.TryPut(5); err != nil || s != 2 || q.Closed() {
		t.Fatalf("put after Reopen: seq %d %v", s, err)
	}
}

func TestChainWakeUp(t *testing.T) {
	q := mustNew[int](t, 8, WithMaxSpin(0))
	const n = 3
	got := make(chan int, n)
	for range n {
		go func() {
			v, _, err := q.Get(context.Background())
			if err != nil {
				t.Error(err)
			}
			got <- v
		}()
	}
	for q.waiters.Load() < n {
		runtime.Gosched()
	}
	for i := range n {
		q.TryPut(i)
	}
	sum := 0
	for range n {
		sum += <-got
	}
	if sum != 0+1+2 {
		t.Fatalf("sum %d", sum)
	}
}

func TestManyProducersConsumers(t *testing.T) {
	const producers, consumers = 4, 2
	per := 50000
	if testing.Short() {
		per = 5000
	}
	q := mustNew[[2]int](t, 64, WithMaxSpin(8))
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if _, err := q.Put(context.Background(), [2]int{p, i}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	results := make(chan map[[2]int]int, consumers)
	ctx, cancel := context.WithCancel(context.Background())
	var cw sync.WaitGroup
	for range consumers {
		cw.Add(1)
		go func() {
			defer cw.Done()
			seen := map[[2]int]int{}
			last := make([]int, producers)
			for i := range last {
				last[i] = -1
			}
			for {
				v, _, err := q.Get(ctx)
				if err != nil {
					results <- seen
					return
				}
				seen[v]++
				if v[1] <= last[v[0]] {
					t.Errorf("producer %d order: %d after %d", v[0], v[1], last[v[0]])
				}
				last[v[0]] = v[1]
			}
		}()
	}
	wg.Wait()
	for q.Len() > 0 {
		runtime.Gosched()
	}
	cancel()
	cw.Wait()
	total := map[[2]int]int{}
	for range consumers {
		for k, c := range <-results {
			total[k] += c
		}
	}
	if len(total) != producers*per {
		t.Fatalf("received %d distinct items, want %d", len(total), producers*per)
	}
	for k, c := range total {
		if c != 1 {
			t.Fatalf("item %v received %d times", k, c)
		}
	}
}

// TestPutAt: the At puts call at with the position they claimed (the
// sequence id minus one) before the item is visible, and not at all when
// they are refused; what at writes beside the queue, indexed by position,
// is there for the consumer of that position, over several laps and with
// concurrent producers.
func TestPutAt(t *testing.T) {
	q := mustNew[int](t, 3) // ring of 4
	var side [4]int
	at := func(pos uint64) {
		if q.buf[pos&q.mask].stamp.Load() == pos+1 {
			t.Errorf("at(%d) called after the item was published", pos)
		}
		side[pos&3] = int(pos) + 100
	}
	for i := range 3 {
		seq, err := q.TryPutAt(i, at)
		if err != nil || seq != uint64(i)+1 {
			t.Fatalf("TryPutAt %d: %d, %v", i, seq, err)
		}
	}
	called := false
	if _, err := q.TryPutAt(9, func(uint64) { called = true }); !errors.Is(err, ErrFull) || called {
		t.Fatalf("TryPutAt on a full queue: %v, at called %v", err, called)
	}
	if _, err := q.PutSpinAt(context.Background(), 9, 1, func(uint64) { called = true }); !errors.Is(err, ErrFull) || called {
		t.Fatalf("PutSpinAt on a full queue: %v, at called %v", err, called)
	}

	const producers, per = 3, 2000
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range per {
				var err error
				if i%2 == 0 {
					_, err = q.PutAt(context.Background(), p, at)
				} else {
					_, err = q.PutSpinAt(context.Background(), p, 1<<30, at)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for n := 0; n < 3+producers*per; {
		k, err := q.Consume(context.Background(), 8, func(_ *int, seq uint64) bool {
			if got := side[(seq-1)&3]; got != int(seq-1)+100 {
				t.Errorf("item %d: side %d, want %d", seq, got, int(seq-1)+100)
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		n += k
	}
	wg.Wait()
	q.Close()
	if _, err := q.TryPutAt(1, func(uint64) { called = true }); !errors.Is(err, ErrClosed) || called {
		t.Fatalf("TryPutAt on a closed queue: %v, at called %v", err, called)
	}
}

// A put whose tail is stale (other producers put, and consumers took, past
// it while it was away) must look again instead of refusing (issue 13,
// defect 2): tail-head wrapped below zero, and TryPut said ErrFull on an
// empty queue. testHookFull runs the other goroutines' work at the point
// where that put has loaded tail and is about to load head.
func TestTryPutStaleTail(t *testing.T) {
	q := mustNew[int](t, 4)
	for i := range 4 {
		q.TryPut(i)
	}
	hooked := false
	testHookFull = func(uint64) {
		testHookFull = nil // the puts below run without the hook
		hooked = true
		for range 4 {
			q.TryGet()
		}
		q.TryPut(10)
		q.TryPut(11)
		q.TryGet()
		q.TryGet()
	}
	t.Cleanup(func() { testHookFull = nil })
	seq, err := q.TryPut(99)
	if !hooked {
		t.Fatal("the put did not take the slow path: the test no longer sets up a stale tail")
	}
	if err != nil || seq != 7 {
		t.Fatalf("put with a stale tail behind head on an empty queue: seq %d, %v; want 7, nil", seq, err)
	}
	if v, s, err := q.TryGet(); v != 99 || s != 7 || err != nil || q.Len() != 0 {
		t.Fatalf("TryGet after it: %d %d %v, Len %d", v, s, err, q.Len())
	}
}

// The reproduction of defect 2: four producers keep at most 64 items
// in a queue of capacity 65,536 and must never see ErrFull. Left alone it
// showed within seconds; here testHookFull holds each producer that takes
// the slow path (every time the cached head has fallen a capacity behind,
// every 65,536 puts) until the consumer has taken past that producer's tail,
// so every such put meets a stale tail.
func TestTryPutNeverFullWhenNearlyEmpty(t *testing.T) {
	const producers, capacity, occupancy = 4, 1 << 16, 64
	per := 40000 // 160,000 puts: the slow path is taken at least twice
	q := mustNew[int](t, capacity)
	var active, held, spurious atomic.Int64
	var holding atomic.Bool
	active.Store(producers)
	testHookFull = func(tail uint64) {
		if !holding.CompareAndSwap(false, true) {
			return
		}
		defer holding.Store(false)
		held.Add(1)
		for q.head.Load() <= tail && active.Load() > 1 {
			runtime.Gosched()
		}
	}
	defer func() { testHookFull = nil }()
	var wg sync.WaitGroup
	for range producers {
		wg.Go(func() {
			defer active.Add(-1)
			for range per {
				for q.Len() >= occupancy-producers {
					runtime.Gosched()
				}
				for {
					_, err := q.TryPut(1)
					if err == nil {
						break
					}
					if !errors.Is(err, ErrFull) {
						t.Error(err)
						return
					}
					spurious.Add(1) // and retry, so that the consumer's count is met
				}
			}
		})
	}
	for got := 0; got < producers*per; {
		n, err := q.TryConsume(occupancy, func(*int, uint64) bool { return true })
		if err == ErrEmpty {
			runtime.Gosched()
		} else if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	wg.Wait()
	if held.Load() == 0 {
		t.Fatal("no put took the slow path: the test no longer meets a stale tail")
	}
	if n := spurious.Load(); n != 0 {
		t.Fatalf("%d puts refused with ErrFull, occupancy at most %d of %d (%d slow-path puts held)", n, occupancy, capacity, held.Load())
	}
}

// A TryPutAt callback that panics (or calls runtime.Goexit) still lets its
// put complete (issue 13, defect 6): the item is published and taken in
// order, later items stay visible, a consumer parked on the empty queue is
// woken, and a consumer of the closed, drained queue gets ErrClosed. The old
// push left the claimed position unpublished: TryGet said ErrEmpty with Len
// 2, and after Close a consumer spun on the slot at full CPU.
func TestTryPutAtCallbackPanicsOrExits(t *testing.T) {
	for _, goexit := range []bool{false, true} {
		q := mustNew[int](t, 4, WithMaxSpin(0))
		got := make(chan int, 1)
		go func() {
			v, _, err := q.Get(context.Background())
			if err != nil {
				t.Error(err)
			}
			got <- v
		}()
		parked(q, getWaiter, 1)
		ended := make(chan any, 1)
		go func() {
			exited := true
			defer func() {
				r := recover()
				if r == nil && exited {
					r = "Goexit"
				}
				ended <- r
			}()
			q.TryPutAt(1, func(uint64) {
				if goexit {
					runtime.Goexit()
				}
				panic("at")
			})
			exited = false
		}()
		want := "at"
		if goexit {
			want = "Goexit"
		}
		if r := <-ended; r != want {
			t.Fatalf("goexit %v: the put's goroutine ended with %v, want %v", goexit, r, want)
		}
		if !q.Ready(1) && q.Taken() == 0 { // published, or taken already
			t.Fatalf("goexit %v: the item whose callback stopped was not published", goexit)
		}
		if v := <-got; v != 1 {
			t.Fatalf("goexit %v: the parked consumer got %d, want 1", goexit, v)
		}
		if q.Accepted() != 1 || q.Len() != 0 {
			t.Fatalf("goexit %v: Accepted %d Len %d, want 1 and 0", goexit, q.Accepted(), q.Len())
		}

		func() {
			defer func() { recover() }()
			q.TryPutAt(2, func(uint64) { panic("at") })
		}()
		if s, err := q.TryPut(3); err != nil || s != 3 {
			t.Fatalf("goexit %v: TryPut after it: %d %v", goexit, s, err)
		}
		for want := 2; want <= 3; want++ {
			if v, s, err := q.TryGet(); err != nil || v != want || s != uint64(want) {
				t.Fatalf("goexit %v: TryGet %d seq %d %v (Len %d), want %d", goexit, v, s, err, q.Len(), want)
			}
		}
		q.Close()
		if _, _, err := q.Get(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("goexit %v: Get on the closed, drained queue: %v", goexit, err)
		}
	}
}

// An option given an invalid value is an error from New that names it (the
// engine's rule too), not a value silently changed: WithMaxSpin(-1) used to
// become WithMaxSpin(0).
func TestInvalidOption(t *testing.T) {
	q, err := New[int](4, WithMaxSpin(-1))
	if !errors.Is(err, ErrOption) || q != nil {
		t.Fatalf("New(4, WithMaxSpin(-1)) = %v, %v; want nil and an ErrOption", q, err)
	}
	if want := "invalid option: WithMaxSpin(-1): a retry count cannot be negative (0 parks at once)"; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	if _, err := New[int](4, nil, WithMaxSpin(0)); err != nil {
		t.Fatalf("New with a nil option and WithMaxSpin(0): %v", err)
	}
}

// The fast paths allocate nothing, with the deferred clean-ups that keep a
// panicking callback from wedging the queue (callAt, TryConsume's defer).
func TestFastPathsAllocateNothing(t *testing.T) {
	q := mustNew[item](t, 64)
	side := make([]uint64, 64)
	at := func(pos uint64) { side[pos&63] = pos }
	consume := func(*item, uint64) bool { return true }
	n := testing.AllocsPerRun(1000, func() {
		q.TryPut(item{n: 1})
		q.TryPutAt(item{n: 2}, at)
		q.TryGet()
		q.TryConsume(8, consume)
		q.PutSpinAt(context.Background(), item{n: 3}, 4, at)
		q.Get(context.Background())
	})
	if n != 0 {
		t.Fatalf("%v allocations per round", n)
	}
}

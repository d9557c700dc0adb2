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

// Tests from an independent review of the queue hardening (ca4d6ce..9b41969)
// and of WithIdleSpin (53fa108).

// TestReviewIdleSpinEndsWithContext: a Consume on an empty queue whose
// context has ended returns ctx.Err() once its WithMaxSpin rounds are done;
// the WithIdleSpin spin must not hold it past the end of ctx (the engine's
// Stop cancels the loop's context and waits for the loop). The spin looked
// only at the clock, so a consumer that had learned a spin of d kept
// spinning for d after ctx ended: up to WithIdleSpin's bound.
func TestReviewIdleSpinEndsWithContext(t *testing.T) {
	q := mustNew[int](t, 8, WithIdleSpin(time.Hour))
	q.spinFor.Store(int64(time.Hour)) // as after gaps of half an hour
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() {
		_, err := q.Consume(ctx, 1, func(*int, uint64) bool { return true })
		done <- err
	}()
	timer := time.NewTimer(10 * time.Second) // far above WithMaxSpin's rounds: bounds the test only
	defer timer.Stop()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Consume = %v, want context.Canceled", err)
		}
	case <-timer.C:
		q.Close() // ends the spin, so that the test ends
		<-done
		t.Fatal("Consume with an ended context still spinning after 10 s (WithIdleSpin ignores ctx)")
	}
}

// TestReviewIdleSpinNoLostWakeUp: a ping-pong through Consume with a spin
// so short that the consumer moves between its WithMaxSpin rounds, its idle
// spin and parking all the time; every item must be taken (a lost wake-up
// leaves the consumer parked and the test fails by its bound).
func TestReviewIdleSpinNoLostWakeUp(t *testing.T) {
	rounds := 5000
	if testing.Short() {
		rounds = 1000
	}
	q := mustNew[int](t, 4, WithMaxSpin(1), WithIdleSpin(2*time.Microsecond))
	ack := make(chan int, 1)
	go func() {
		for range rounds {
			var got int
			if _, err := q.Consume(context.Background(), 1, func(v *int, _ uint64) bool { got = *v; return true }); err != nil {
				t.Error(err)
				close(ack)
				return
			}
			ack <- got
		}
	}()
	timer := time.NewTimer(60 * time.Second)
	defer timer.Stop()
	parks := 0
	for i := range rounds {
		if i%3 == 0 {
			// Now and then let the consumer reach its park.
			for range 50 {
				if _, c := q.Waiters(); c == 1 {
					parks++
					break
				}
				runtime.Gosched()
			}
		}
		if _, err := q.TryPut(i); err != nil {
			t.Fatal(err)
		}
		select {
		case v, ok := <-ack:
			if !ok || v != i {
				t.Fatalf("round %d: got %d, %v", i, v, ok)
			}
		case <-timer.C:
			q.Close()
			t.Fatalf("round %d: item not taken (Len %d, waiters %d)", i, q.Len(), q.waiters.Load())
		}
	}
	if parks == 0 {
		t.Fatal("the consumer never parked: the test did not exercise the wake-up")
	}
	t.Logf("%d of %d rounds put to a parked consumer", parks, rounds)
}

// TestReviewStaleTailNeverOverfills: a put whose tail went stale (head
// passed it while it was away) retries with a fresh tail, and that retry
// still refuses when the queue has filled again meanwhile: the capacity
// stays exact.
func TestReviewStaleTailNeverOverfills(t *testing.T) {
	q := mustNew[int](t, 4)
	for i := range 4 {
		q.TryPut(i)
	}
	hooked := false
	testHookFull = func(uint64) {
		testHookFull = nil
		hooked = true
		for range 4 {
			q.TryGet()
		}
		for i := range 4 {
			q.TryPut(10 + i)
		}
		q.TryGet()   // head 5, past the stale tail 4
		q.TryPut(20) // full again: positions 5 to 8
	}
	t.Cleanup(func() { testHookFull = nil })
	_, err := q.TryPut(99)
	if !hooked {
		t.Fatal("the put did not take the slow path")
	}
	if !errors.Is(err, ErrFull) || q.Len() != 4 || q.Accepted() != 9 {
		t.Fatalf("stale-tail put on a queue full again: %v, Len %d, Accepted %d; want ErrFull, 4, 9", err, q.Len(), q.Accepted())
	}
	for want := 11; want <= 13; want++ {
		if v, _, err := q.TryGet(); err != nil || v != want {
			t.Fatalf("TryGet %d %v, want %d", v, err, want)
		}
	}
	if v, s, err := q.TryGet(); err != nil || v != 20 || s != 9 {
		t.Fatalf("TryGet %d seq %d %v, want 20 seq 9", v, s, err)
	}
}

// TestReviewConsumePanicAfterPublish: a callback that panics on the item
// right after a mid-batch publication of head (item publishEvery+1) counts
// that item as taken exactly once, and the next consume starts after it.
func TestReviewConsumePanicAfterPublish(t *testing.T) {
	const capacity = publishEvery + 4
	q := mustNew[int](t, capacity, WithMaxSpin(0))
	for i := range capacity {
		q.TryPut(i + 1)
	}
	func() {
		defer func() {
			if r := recover(); r != "cb" {
				t.Errorf("recovered %v", r)
			}
		}()
		q.Consume(context.Background(), capacity, func(_ *int, seq uint64) bool {
			if seq == publishEvery+1 {
				panic("cb")
			}
			return true
		})
	}()
	if q.Taken() != publishEvery+1 || q.Len() != capacity-publishEvery-1 {
		t.Fatalf("Taken %d Len %d, want %d and %d", q.Taken(), q.Len(), publishEvery+1, capacity-publishEvery-1)
	}
	var seqs []uint64
	n, err := q.TryConsume(capacity, func(_ *int, seq uint64) bool { seqs = append(seqs, seq); return true })
	if err != nil || n != capacity-publishEvery-1 || seqs[0] != publishEvery+2 {
		t.Fatalf("the rest: %d %v %v", n, err, seqs)
	}
}

// TestReviewStaleTailStressExact: producers whose slow path yields between
// loading tail and loading head (testHookFull), so that their tails go
// stale often, on a queue of capacity 4. The single consumer checks what
// Len cannot show (it clamps at Cap): claimed minus taken never exceeds
// the capacity, sequence ids have no gap, and each producer's items come in
// its order, none lost or doubled.
func TestReviewStaleTailStressExact(t *testing.T) {
	const producers, capacity = 4, 4
	per := 20000
	if testing.Short() || raceEnabled {
		per = 3000
	}
	q := mustNew[int64](t, capacity)
	var slow, stale atomic.Int64
	testHookFull = func(tail uint64) {
		slow.Add(1)
		runtime.Gosched()
		if q.head.Load() > tail {
			stale.Add(1) // this put's tail is now behind head
		}
	}
	defer func() { testHookFull = nil }()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range per {
				for {
					_, err := q.TryPut(int64(p)<<32 | int64(i))
					if err == nil {
						break
					}
					if !errors.Is(err, ErrFull) {
						t.Error(err)
						return
					}
					runtime.Gosched()
				}
			}
		})
	}
	next := make([]int64, producers)
	for seq := uint64(1); seq <= producers*uint64(per); {
		head := q.head.Load()
		if n := q.tail.Load()&^closedBit - head; n > capacity {
			t.Fatalf("%d positions claimed past head %d, capacity %d", n, head, capacity)
		}
		v, s, err := q.TryGet()
		if errors.Is(err, ErrEmpty) {
			runtime.Gosched()
			continue
		}
		if err != nil || s != seq {
			t.Fatalf("TryGet seq %d %v, want seq %d", s, err, seq)
		}
		p, i := v>>32, v&(1<<32-1)
		if i != next[p] {
			t.Fatalf("producer %d: item %d, want %d", p, i, next[p])
		}
		next[p]++
		seq++
	}
	wg.Wait()
	t.Logf("%d slow-path puts, %d of them with a tail gone stale behind head", slow.Load(), stale.Load())
}

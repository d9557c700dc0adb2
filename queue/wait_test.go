package queue

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
	"weak"
)

// parked waits until n goroutines of the given kind count as waiters.
func parked[T any](q *Queue[T], kind uint64, n uint64) {
	for (q.waiters.Load()/kind)&getMask < n {
		runtime.Gosched()
	}
}

func TestWrapAroundManyLaps(t *testing.T) {
	for _, c := range []int{1, 3, 5, 64} {
		q := mustNew[int](t, c)
		want := uint64(1)
		for lap := range 1000 {
			k := 1 + lap%c // varying fill levels so head and tail meet at every slot
			for i := range k {
				if s, err := q.TryPut(lap*100 + i); err != nil || s != want+uint64(i) {
					t.Fatalf("cap %d lap %d: put seq %d err %v, want seq %d", c, lap, s, err, want+uint64(i))
				}
			}
			for i := range k {
				v, s, err := q.TryGet()
				if err != nil || v != lap*100+i || s != want {
					t.Fatalf("cap %d lap %d: got %d seq %d %v", c, lap, v, s, err)
				}
				want++
			}
			if q.Len() != 0 {
				t.Fatalf("cap %d: Len %d after draining", c, q.Len())
			}
		}
	}
}

func TestGetTimeoutAndNilContext(t *testing.T) {
	q := mustNew[int](t, 2, WithMaxSpin(3))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, _, err := q.Get(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get on empty queue with timeout: %v", err)
	}
	var nilCtx context.Context // documented to mean Background
	if s, err := q.Put(nilCtx, 7); err != nil || s != 1 {
		t.Fatalf("Put(nil ctx): %d %v", s, err)
	}
	if v, s, err := q.Get(nilCtx); err != nil || v != 7 || s != 1 {
		t.Fatalf("Get(nil ctx): %d %d %v", v, s, err)
	}
}

// Parked producers are released one by one as a consumer makes room.
func TestBlockedProducersReleasedByConsumer(t *testing.T) {
	q := mustNew[int](t, 2, WithMaxSpin(0))
	q.TryPut(0)
	q.TryPut(1)
	const n = 4
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := q.Put(context.Background(), 10+i); err != nil {
				t.Error(err)
			}
		}()
	}
	parked(q, putWaiter, n)
	got := map[int]bool{}
	for range 2 + n {
		v, _, err := q.Get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got[v] = true
	}
	wg.Wait()
	if len(got) != 2+n || q.Len() != 0 {
		t.Fatalf("got %v, Len %d", got, q.Len())
	}
}

// Parked consumers are released by producers.
func TestBlockedConsumersReleasedByProducers(t *testing.T) {
	q := mustNew[int](t, 8, WithMaxSpin(0))
	const n = 4
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
	parked(q, getWaiter, n)
	for i := range n {
		if _, err := q.Put(context.Background(), i); err != nil {
			t.Fatal(err)
		}
	}
	sum := 0
	for range n {
		sum += <-got
	}
	if sum != 0+1+2+3 {
		t.Fatalf("sum %d", sum)
	}
}

// Several parked producers must all be released when one batch frees room
// for all of them at once, although only one wake-up token fits: each
// woken producer passes it on.
func TestProducerChainWakeUp(t *testing.T) {
	for range 20 {
		q := mustNew[int](t, 3, WithMaxSpin(0))
		for i := range 3 {
			q.TryPut(i)
		}
		done := make(chan error, 3)
		for i := range 3 {
			go func() { _, err := q.Put(context.Background(), 10+i); done <- err }()
		}
		parked(q, putWaiter, 3)
		if n, err := q.TryConsume(3, func(*int, uint64) bool { return true }); n != 3 || err != nil {
			t.Fatal(n, err)
		}
		for range 3 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		if q.Len() != 3 {
			t.Fatalf("Len %d", q.Len())
		}
	}
}

// The same for consumers: three parked, three items pushed at once.
func TestConsumerChainWakeUpRepeated(t *testing.T) {
	for range 20 {
		q := mustNew[int](t, 3, WithMaxSpin(0))
		done := make(chan error, 3)
		for range 3 {
			go func() { _, _, err := q.Get(context.Background()); done <- err }()
		}
		parked(q, getWaiter, 3)
		for i := range 3 {
			q.TryPut(i)
		}
		for range 3 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Close wakes every parked producer and consumer.
func TestCloseWakesAllWaiters(t *testing.T) {
	full := mustNew[int](t, 1, WithMaxSpin(0))
	full.TryPut(0)
	empty := mustNew[int](t, 1, WithMaxSpin(0))
	const n = 3
	errs := make(chan error, 2*n)
	for range n {
		go func() { _, err := full.Put(context.Background(), 1); errs <- err }()
		go func() { _, _, err := empty.Get(context.Background()); errs <- err }()
	}
	parked(full, putWaiter, n)
	parked(empty, getWaiter, n)
	full.Close()
	empty.Close()
	for range 2 * n {
		if err := <-errs; !errors.Is(err, ErrClosed) {
			t.Fatalf("parked op after Close: %v", err)
		}
	}
	if v, s, err := full.TryGet(); err != nil || v != 0 || s != 1 {
		t.Fatalf("accepted item after Close: %d %d %v", v, s, err)
	}
	if full.Accepted() != 1 {
		t.Fatalf("Accepted %d after refused puts", full.Accepted())
	}
	full.Reopen()
	empty.Reopen()
	if s, err := full.TryPut(2); err != nil || s != 2 {
		t.Fatalf("put after Reopen: %d %v", s, err)
	}
	// Waiting works again after Reopen.
	got := make(chan error, 1)
	go func() { _, _, err := empty.Get(context.Background()); got <- err }()
	parked(empty, getWaiter, 1)
	empty.TryPut(1)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

// A consumer draining a closed queue gets every accepted item, then
// ErrClosed.
func TestCloseThenDrain(t *testing.T) {
	q := mustNew[int](t, 16)
	for i := range 10 {
		q.TryPut(i)
	}
	q.Close()
	for i := range 10 {
		if v, s, err := q.Get(context.Background()); err != nil || v != i || s != uint64(i+1) {
			t.Fatalf("drain %d: %d %d %v", i, v, s, err)
		}
	}
	if _, _, err := q.Get(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get on closed empty: %v", err)
	}
	if _, err := q.Put(context.Background(), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put on closed: %v", err)
	}
	if n, err := q.TryConsume(4, func(*int, uint64) bool { return true }); n != 0 || !errors.Is(err, ErrClosed) {
		t.Fatalf("TryConsume on closed empty: %d %v", n, err)
	}
}

// Get clears the slot so the queue keeps no reference to a taken item.
func TestGetReleasesReferences(t *testing.T) {
	q := mustNew[*[64]byte](t, 4)
	p := new([64]byte)
	w := weak.Make(p)
	q.TryPut(p)
	if got, _, _ := q.TryGet(); got != p {
		t.Fatal("wrong item")
	}
	p = nil
	for range 5 {
		runtime.GC()
		if w.Value() == nil {
			return
		}
	}
	t.Fatal("taken item still reachable from the queue")
}

func TestLenNeverAboveCap(t *testing.T) {
	q := mustNew[int](t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				q.TryPut(1)
			}
		}()
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				q.TryGet()
			}
		}()
	}
	for range 100000 {
		if n := q.Len(); n < 0 || n > q.Cap() {
			t.Errorf("Len %d", n)
			break
		}
	}
	cancel()
	wg.Wait()
}

// Stress: many producers, several consumers mixing Get, TryGet and Consume,
// small capacity so that both sides park often.
func TestStress(t *testing.T) {
	producers, consumers, per := 6, 3, 40000
	if testing.Short() {
		per = 2000
	}
	if raceEnabled {
		per /= 4
	}
	for _, spin := range []int{0, 4, DefaultMaxSpin} {
		q := mustNew[[2]int](t, 7, WithMaxSpin(spin))
		var pw sync.WaitGroup
		for p := range producers {
			pw.Add(1)
			go func() {
				defer pw.Done()
				for i := range per {
					if _, err := q.Put(context.Background(), [2]int{p, i}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		counts := make([][]int32, producers)
		for p := range counts {
			counts[p] = make([]int32, per)
		}
		var mu sync.Mutex
		var seqs []uint64
		var cw sync.WaitGroup
		for c := range consumers {
			cw.Add(1)
			go func() {
				defer cw.Done()
				var mine []uint64
				defer func() { mu.Lock(); seqs = append(seqs, mine...); mu.Unlock() }()
				for {
					var err error
					switch c {
					case 0:
						var v [2]int
						var s uint64
						v, s, err = q.Get(context.Background())
						if err == nil {
							counts[v[0]][v[1]]++
							mine = append(mine, s)
						}
					case 1:
						_, err = q.Consume(context.Background(), 5, func(v *[2]int, s uint64) bool {
							counts[v[0]][v[1]]++
							mine = append(mine, s)
							return true
						})
					default:
						var v [2]int
						var s uint64
						v, s, err = q.TryGet()
						if err == nil {
							counts[v[0]][v[1]]++
							mine = append(mine, s)
						} else if err == ErrEmpty {
							runtime.Gosched()
							err = nil
						}
					}
					if errors.Is(err, ErrClosed) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		pw.Wait()
		q.Close()
		cw.Wait()
		for p := range counts {
			for i, c := range counts[p] {
				if c != 1 {
					t.Fatalf("spin %d: item %d/%d received %d times", spin, p, i, c)
				}
			}
		}
		total := uint64(producers * per)
		if uint64(len(seqs)) != total || q.Accepted() != total {
			t.Fatalf("spin %d: %d seqs, Accepted %d, want %d", spin, len(seqs), q.Accepted(), total)
		}
		seen := make([]bool, total+1)
		for _, s := range seqs {
			if s == 0 || s > total || seen[s] {
				t.Fatalf("spin %d: bad or repeated seq %d", spin, s)
			}
			seen[s] = true
		}
	}
}

// An idle consumer with the default spin count stops spinning and parks, and
// a producer then wakes it.
func TestIdleConsumerParks(t *testing.T) {
	q := mustNew[int](t, 8)
	got := make(chan int)
	go func() {
		v, _, err := q.Get(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	for {
		if _, c := q.Waiters(); c == 1 {
			break
		}
		runtime.Gosched()
	}
	if p, c := q.Waiters(); p != 0 || c != 1 {
		t.Fatalf("Waiters = %d, %d; want 0, 1", p, c)
	}
	q.TryPut(42)
	if v := <-got; v != 42 {
		t.Fatalf("woken consumer got %d", v)
	}
	if p, c := q.Waiters(); p != 0 || c != 0 {
		t.Fatalf("Waiters after wake-up = %d, %d; want 0, 0", p, c)
	}
}

// PutSpin never parks: on a queue that stays full it returns ErrFull after
// its spins (or the context's error), and it succeeds once room is made.
func TestPutSpin(t *testing.T) {
	q := mustNew[int](t, 2)
	q.TryPut(1)
	q.TryPut(2)
	for _, spins := range []int{0, 1, 10} {
		if _, err := q.PutSpin(context.Background(), 3, spins); !errors.Is(err, ErrFull) {
			t.Fatalf("PutSpin(%d) on a full queue: %v, want ErrFull", spins, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.PutSpin(ctx, 3, 5); !errors.Is(err, context.Canceled) {
		t.Fatalf("PutSpin with a cancelled context on a full queue: %v", err)
	}
	if p, c := q.Waiters(); p != 0 || c != 0 {
		t.Fatalf("PutSpin left waiters %d, %d", p, c)
	}
	if q.Accepted() != 2 {
		t.Fatalf("refused PutSpins consumed sequence ids: Accepted = %d", q.Accepted())
	}
	q.TryGet()
	if s, err := q.PutSpin(ctx, 3, 0); err != nil || s != 3 {
		t.Fatalf("PutSpin with room: seq %d, %v (an ended context does not refuse a put that needs no wait)", s, err)
	}
	if s, err := q.PutSpin(nil, 4, 0); !errors.Is(err, ErrFull) || s != 0 {
		t.Fatalf("PutSpin(nil ctx) on a full queue: %d %v", s, err)
	}
}

// PutSpin never parks even when WithMaxSpin is below its spin count (issue
// 13, defect 1): a queue made WithMaxSpin(0) used to park PutSpin(ctx, v, 5)
// at its first round, so a consumer putting into its own full queue (the
// engine's loop, whose handler publishes) waited for itself forever. The
// test watches the waiter count instead of a clock: a parked PutSpin counts
// itself as a waiter before it parks.
func TestPutSpinNeverParks(t *testing.T) {
	for _, maxSpin := range []int{0, 1, 4} {
		for _, spins := range []int{1, 5, 32} {
			q := mustNew[int](t, 1, WithMaxSpin(maxSpin))
			q.TryPut(1)
			done := make(chan error, 1)
			go func() {
				_, err := q.PutSpinAt(context.Background(), 2, spins, func(uint64) {})
				done <- err
			}()
			for returned := false; !returned; {
				select {
				case err := <-done:
					if !errors.Is(err, ErrFull) {
						t.Fatalf("maxSpin %d: PutSpinAt(%d spins) on a full queue: %v, want ErrFull", maxSpin, spins, err)
					}
					returned = true
				default:
					if p, _ := q.Waiters(); p != 0 {
						q.Close() // releases it, so that the test ends
						<-done
						t.Fatalf("maxSpin %d: PutSpinAt(%d spins) parked on a full queue", maxSpin, spins)
					}
					runtime.Gosched()
				}
			}
			if q.Accepted() != 1 {
				t.Fatalf("maxSpin %d: a refused PutSpin consumed a sequence id: Accepted %d", maxSpin, q.Accepted())
			}
		}
	}
}

// A blocked producer that waits for room for a batch still takes a single
// freed slot of a small queue, and a capacity that is not a power of two is
// kept exactly while producers wait.
func TestPutWaitsForRoomButNotForever(t *testing.T) {
	for _, c := range []int{1, 3, 9, 100} {
		q := mustNew[int](t, c)
		for i := range c {
			q.TryPut(i)
		}
		done := make(chan error)
		go func() {
			_, err := q.Put(context.Background(), -1)
			done <- err
		}()
		if v, _, err := q.TryGet(); err != nil || v != 0 {
			t.Fatalf("cap %d: TryGet %d %v", c, v, err)
		}
		if err := <-done; err != nil {
			t.Fatalf("cap %d: Put after one slot was freed: %v", c, err)
		}
		if q.Len() != c {
			t.Fatalf("cap %d: Len %d after refill", c, q.Len())
		}
	}
}

// A consumer that parks at once (WithMaxSpin(0)) must be woken by every put
// made while it parks, however the two interleave: the put publishes its
// item with a release store, which its later look at the waiter count may
// overtake, so the parking consumer checks the claimed positions (tail),
// not the item's stamp (TestGetWaitsForClaimedItem checks that rule). A
// lost wake-up leaves the consumer parked with an item queued and the test
// hangs, so it fails by the test timeout. The window is a few nanoseconds
// wide, so the ping-pong is a liveness check that meets it often, not a
// proof.
func TestNoLostWakeUp(t *testing.T) {
	rounds := 20000
	if testing.Short() {
		rounds = 2000
	}
	q := mustNew[int](t, 4, WithMaxSpin(0))
	ack := make(chan int)
	go func() {
		for range rounds {
			v, _, err := q.Get(context.Background())
			if err != nil {
				t.Error(err)
				close(ack)
				return
			}
			ack <- v
		}
	}()
	for i := range rounds {
		if _, err := q.TryPut(i); err != nil {
			t.Fatal(err)
		}
		if v, ok := <-ack; !ok || v != i {
			t.Fatalf("round %d: got %d, %v", i, v, ok)
		}
	}
}

// A consumer that finds a position claimed by a put still writing its item
// does not park on it (the put may not look at the waiters again) and gets
// the item once the put publishes it.
func TestGetWaitsForClaimedItem(t *testing.T) {
	q := mustNew[int](t, 4, WithMaxSpin(0))
	claimed, release := make(chan struct{}), make(chan struct{})
	put := make(chan error, 1)
	go func() {
		_, err := q.TryPutAt(7, func(uint64) { close(claimed); <-release })
		put <- err
	}()
	<-claimed
	if !q.canGet() {
		t.Fatal("canGet false with a position claimed: a consumer would park on it")
	}
	got := make(chan int, 1)
	go func() {
		v, _, err := q.Get(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	close(release)
	if err := <-put; err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != 7 {
		t.Fatalf("got %d, want 7", v)
	}
}

// Ready tells whether the n-th oldest item is there; Gather waits for it,
// gives up at its deadline, and does not wait on a closed queue.
func TestReadyAndGather(t *testing.T) {
	q := mustNew[int](t, 8)
	if !q.Ready(0) || q.Ready(1) {
		t.Fatal("empty queue: Ready(0) must hold, Ready(1) must not")
	}
	for i := range 3 {
		q.TryPut(i)
	}
	if !q.Ready(3) || q.Ready(4) {
		t.Fatalf("3 items: Ready(3)=%v Ready(4)=%v", q.Ready(3), q.Ready(4))
	}
	if !q.Gather(3, 0) {
		t.Fatal("Gather(3) with 3 items")
	}
	if q.Gather(4, time.Millisecond) {
		t.Fatal("Gather(4) with 3 items and no producer")
	}
	q.TryGet()
	if !q.Ready(2) || q.Ready(3) {
		t.Fatal("Ready counts from the oldest item left")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 5 {
			if _, err := q.Put(context.Background(), 10+i); err != nil {
				t.Error(err)
			}
		}
	}()
	if !q.Gather(7, time.Hour) { // returns once the producer has put all 5
		t.Fatal("Gather(7) with 7 items")
	}
	<-done
	q.Close()
	if q.Gather(8, time.Hour) { // would wait an hour if Close did not end it
		t.Fatal("Gather on a closed queue reported 8 items")
	}
}

// A TryConsume callback that panics (and a caller that recovers) or calls
// runtime.Goexit ends the batch without wedging the queue (issue 13, defect
// 5): the consumer lock is released, the item given to the callback counts
// as taken, the next consume gets the item after it, and a producer parked
// on the full queue is woken by the room the batch made. The old TryConsume
// kept the lock: every later TryGet blocked.
func TestTryConsumeCallbackPanicsOrExits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		at     uint64 // sequence id whose callback ends abnormally
		goexit bool
	}{
		{"panic first", 1, false},
		{"panic third", 3, false},
		{"panic at a publish", publishEvery, false},
		{"Goexit first", 1, true},
		{"Goexit at a publish", publishEvery, true},
	} {
		const capacity = publishEvery + 8
		q := mustNew[int](t, capacity, WithMaxSpin(0))
		for i := range capacity {
			q.TryPut(i + 1)
		}
		put := make(chan error, 1)
		go func() { _, err := q.Put(context.Background(), -1); put <- err }()
		parked(q, putWaiter, 1)

		var got []uint64
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
			q.TryConsume(capacity, func(v *int, seq uint64) bool {
				got = append(got, seq)
				if seq == tc.at {
					if tc.goexit {
						runtime.Goexit()
					}
					panic("callback")
				}
				return true
			})
			exited = false
		}()
		want := "callback"
		if tc.goexit {
			want = "Goexit"
		}
		if r := <-ended; r != want {
			t.Fatalf("%s: the goroutine ended with %v, want %v", tc.name, r, want)
		}
		if uint64(len(got)) != tc.at {
			t.Fatalf("%s: callback saw %v", tc.name, got)
		}
		if !q.cmu.TryLock() {
			q.Close() // releases the parked producer, so that the test ends
			<-put
			t.Fatalf("%s: the consumer lock is still held after the callback ended abnormally", tc.name)
		}
		q.cmu.Unlock()
		if err := <-put; err != nil {
			t.Fatalf("%s: producer parked on the full queue: %v", tc.name, err)
		}
		if q.Taken() != tc.at {
			t.Fatalf("%s: Taken %d, want %d (the item of the callback counts as taken)", tc.name, q.Taken(), tc.at)
		}
		v, seq, err := q.TryGet()
		if err != nil || seq != tc.at+1 || v != int(tc.at)+1 {
			t.Fatalf("%s: TryGet after it: %d seq %d %v, want %d seq %d", tc.name, v, seq, err, tc.at+1, tc.at+1)
		}
		n, err := q.TryConsume(capacity, func(*int, uint64) bool { return true })
		if want := capacity - int(tc.at) - 1 + 1; n != want || err != nil {
			t.Fatalf("%s: the rest: %d items %v, want %d", tc.name, n, err, want)
		}
	}
}

// With SetParkWhenEmpty, a Consume parks at once on an empty queue, even one
// whose spin would otherwise go on for good; a put wakes it, and the setting
// can be switched back.
func TestSetParkWhenEmpty(t *testing.T) {
	q := mustNew[int](t, 8, WithMaxSpin(1<<30))
	if was := q.SetParkWhenEmpty(true); was {
		t.Fatal("SetParkWhenEmpty: was on before it was set")
	}
	got := make(chan int)
	go func() {
		var v int
		_, err := q.Consume(context.Background(), 1, func(p *int, _ uint64) bool { v = *p; return true })
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	waitConsumerParked(t, q, "Consume on an empty queue did not park with SetParkWhenEmpty(true)")
	q.TryPut(7)
	if v := <-got; v != 7 {
		t.Fatalf("woken consumer got %d, want 7", v)
	}
	if was := q.SetParkWhenEmpty(false); !was {
		t.Fatal("SetParkWhenEmpty(false): the previous setting was not reported as on")
	}
}

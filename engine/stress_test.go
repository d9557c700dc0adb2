package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// stressFigures are the totals of the stress test, logged by TestStress and
// quoted in docs/reliability.md.
type stressFigures struct {
	accepted, delivered, refused, stops, exactStops, churn, churnDeliveries, echoes, tryFull uint64
}

// TestStress pushes messages from several numbered producers (using Put,
// PutContext, Publish and TryPut) through exact and generic hooks while
// other goroutines add and remove subscriptions, a handler publishes, and
// the loop is stopped and started. It asserts that every accepted message
// reached every permanent hook it matched exactly once, that every
// short-lived subscription received only messages it matches, each at most
// once and in per-producer order, that per-producer order was kept, that at
// every stop the handlers saw exactly what the engine counts as delivered
// and (at the stops taken with no put under way) accepted = delivered +
// queued, and that the run ends within a bound (no deadlock).
//
// EVENTENGINE_SOAK=<messages per producer> makes it a soak test.
func TestStress(t *testing.T) {
	perProducer := 100000
	if testing.Short() {
		perProducer = 2000
	}
	if raceEnabled {
		perProducer /= 4
	}
	if v := os.Getenv("EVENTENGINE_SOAK"); v != "" {
		if _, err := fmt.Sscan(v, &perProducer); err != nil {
			t.Fatalf("EVENTENGINE_SOAK=%q: want a number of messages per producer", v)
		}
	}
	f := runStress(t, 4, perProducer, 64)
	t.Logf("stress: %d accepted, %d deliveries checked, %d refused (ErrFull on loop), %d TryPut ErrFull retried, %d stop/start cycles (%d with accepted = delivered + queued checked), %d churn registrations receiving %d messages, %d echoes, 0 lost",
		f.accepted, f.delivered, f.refused, f.tryFull, f.stops, f.exactStops, f.churn, f.churnDeliveries, f.echoes)
}

func runStress(t *testing.T, producers, perProducer, capacity int) stressFigures {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	e := newEngine(t, WithCapacity(capacity))

	type sub struct {
		name  string
		mu    sync.Mutex
		count map[[2]int]int // (producer, i) -> deliveries
		n     uint64
		last  []int
		total func() uint64
	}
	newSub := func(name string) *sub {
		s := &sub{name: name, count: map[[2]int]int{}, last: make([]int, producers)}
		for i := range s.last {
			s.last[i] = -1
		}
		return s
	}
	var orderErr atomic.Value
	record := func(s *sub) func(event.Message) {
		return func(m event.Message) {
			p, ok1 := event.Arg[int](m, 0)
			i, ok2 := event.Arg[int](m, 1)
			if !ok1 || !ok2 {
				return // an echo: no producer numbering
			}
			s.mu.Lock()
			s.count[[2]int{p, i}]++
			s.n++
			if i <= s.last[p] {
				orderErr.CompareAndSwap(nil, fmt.Sprintf("%s: producer %d message %d after %d", s.name, p, i, s.last[p]))
			}
			s.last[p] = i
			s.mu.Unlock()
		}
	}
	// Permanent hooks: producer p publishes on Stress.<p>.Data.
	all := newSub("Stress.{p}.Data")
	all.total = func() uint64 { all.mu.Lock(); defer all.mu.Unlock(); return all.n }
	rng := newSub("Stress.(0|1).{kind}")
	pat := newSub(`Stress./^[23]$/.Data`)
	exact0 := newSub("Stress.0.Data")
	for _, s := range []*sub{all, rng, pat, exact0} {
		if _, err := e.RegisterFunc(topic.MustParse(s.name), record(s)); err != nil {
			t.Fatal(err)
		}
	}
	// A handler that publishes: every 100th message of producer 1 is echoed
	// on Stress.Echo, with TryPut semantics when the queue is full.
	var echoes, echoRefused atomic.Uint64
	echoT := topic.MustParse("Stress.Echo")
	e.RegisterFunc(topic.MustParse("Stress.1.{x}"), func(m event.Message) {
		if i, _ := event.Arg[int](m, 1); i%100 == 0 {
			if err := e.Put(echoT, "echo"); err == nil {
				echoes.Add(1)
			} else if errors.Is(err, ErrFull) {
				echoRefused.Add(1)
			} else {
				orderErr.CompareAndSwap(nil, "echo put: "+err.Error())
			}
		}
	})
	var echoed atomic.Uint64
	e.RegisterFunc(echoT, func(event.Message) { echoed.Add(1) })

	e.Start()
	var wg sync.WaitGroup
	// Churn: subscriptions added and removed while messages flow.
	churnStop := make(chan struct{})
	var churn, churnDeliveries atomic.Uint64
	// A short-lived subscription checks what it receives: only messages its
	// topic matches, each producer's in order, none twice. A trigger under
	// way may still call it after UnregisterHandler returns, so its state
	// is its own and locked.
	churnHandler := func(tp topic.Topic) func(event.Message) {
		var mu sync.Mutex
		last := make([]int, producers)
		for i := range last {
			last[i] = -1
		}
		return func(m event.Message) {
			p, ok1 := event.Arg[int](m, 0)
			i, ok2 := event.Arg[int](m, 1)
			if !ok1 || !ok2 {
				return
			}
			churnDeliveries.Add(1)
			if !tp.Matches(m.Topic) {
				orderErr.CompareAndSwap(nil, fmt.Sprintf("churn %s received %s", tp, m.Topic))
			}
			mu.Lock()
			defer mu.Unlock()
			if i <= last[p] {
				orderErr.CompareAndSwap(nil, fmt.Sprintf("churn %s: producer %d message %d after %d", tp, p, i, last[p]))
			}
			last[p] = i
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		patterns := []string{"Stress.{p}.{x}", "Stress.(2|3).Data", "Stress./^0$/.{d}", "Stress.1.Data"}
		for i := 0; ; i++ {
			if i >= len(patterns) { // every pattern at least once, however fast the producers
				select {
				case <-churnStop:
					return
				default:
				}
			}
			tp := topic.MustParse(patterns[i%len(patterns)])
			id, err := e.RegisterFunc(tp, churnHandler(tp))
			if err != nil {
				orderErr.CompareAndSwap(nil, "churn register: "+err.Error())
				return
			}
			if err := e.UnregisterHandler(tp, id); err != nil {
				orderErr.CompareAndSwap(nil, "churn unregister: "+err.Error())
				return
			}
			churn.Add(1)
		}
	}()
	// Stop/start cycles in the middle. Every other stop is taken with no put
	// under way (producers hold gate for reading around each put), so the
	// engine's counters are exact: accepted = delivered + queued. The other
	// stops catch producers in the middle of puts, some blocked on the full
	// queue of a stopped engine until the next Start.
	var gate sync.RWMutex
	var stops, exactStops atomic.Uint64
	// An AfterDelivery function, added at every other stop and removed at
	// the next: while it is there it sees every message delivered.
	var afterN, afterFrom uint64 // calls (on the loop), Delivered when added
	var afterOff func()
	afterOn := func() {
		var err error
		afterN, afterFrom = 0, e.Stats().Delivered
		if afterOff, err = e.AfterDelivery(func(event.Message) { afterN++ }); err != nil {
			orderErr.CompareAndSwap(nil, "AfterDelivery: "+err.Error())
		}
	}
	afterOn() // the engine is not started yet
	cycleStop := make(chan struct{})
	var cycleErr atomic.Value
	var cycles sync.WaitGroup
	cycles.Add(1)
	go func() {
		defer cycles.Done()
		for {
			if stops.Load() >= 2 { // both kinds of stop at least once, however fast the producers
				select {
				case <-cycleStop:
					return
				default:
				}
			}
			exact := stops.Load()%2 == 0
			if exact {
				gate.Lock() // waits for the puts under way; the loop runs, so they end
			}
			e.Stop()
			// The loop is stopped: every message it took has been handled.
			// Deliveries counted by the handlers must equal the engine's
			// count, and with no put under way accepted = delivered + queued
			// (+ taken: none here).
			s := e.Stats()
			if handled := all.total() + echoed.Load(); handled != s.Delivered {
				cycleErr.CompareAndSwap(nil, fmt.Sprintf("at a stop: handlers saw %d messages, engine says %d delivered (%+v)", handled, s.Delivered, s))
			}
			if afterOff != nil {
				if afterN != s.Delivered-afterFrom {
					cycleErr.CompareAndSwap(nil, fmt.Sprintf("at a stop: AfterDelivery saw %d messages, %d were delivered since it was added", afterN, s.Delivered-afterFrom))
				}
				afterOff()
				afterOff = nil
			} else {
				afterOn()
			}
			if exact {
				if s.Accepted != s.Delivered+s.Taken+uint64(s.Queued) || s.Running {
					cycleErr.CompareAndSwap(nil, fmt.Sprintf("at a stop: accepted %d != delivered %d + queued %d (%+v)", s.Accepted, s.Delivered, s.Queued, s))
				}
				exactStops.Add(1)
			}
			stops.Add(1)
			e.Start()
			if exact {
				gate.Unlock()
			}
			for range 2000 { // let some messages flow before the next stop
				if e.Occupied() == 0 {
					break
				}
				runtime.Gosched()
			}
		}
	}()
	// Producers use every kind of put: Put, PutContext, Publish, and TryPut
	// retried (outside the gate) while the queue is full.
	var tryFull atomic.Uint64
	var producing sync.WaitGroup
	for p := range producers {
		producing.Add(1)
		go func() {
			defer producing.Done()
			tp := topic.MustParse(fmt.Sprintf("Stress.%d.Data", p))
			for i := range perProducer {
				var err error
				for {
					gate.RLock()
					switch p % 4 {
					case 0:
						err = e.Put(tp, p, i)
					case 1:
						err = e.PutContext(ctx, tp, p, i)
					case 2:
						err = e.Publish(ctx, tp, []any{p, i}, nil)
					case 3:
						err = e.TryPut(tp, p, i)
					}
					gate.RUnlock()
					if !errors.Is(err, ErrFull) || ctx.Err() != nil {
						break
					}
					tryFull.Add(1)
					runtime.Gosched()
				}
				if err != nil {
					orderErr.CompareAndSwap(nil, fmt.Sprintf("producer %d put %d: %v", p, i, err))
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		producing.Wait()
		close(cycleStop)
		cycles.Wait()
		close(churnStop)
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("stress run did not finish within its bound: deadlock or livelock")
	}
	if err := e.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if v := orderErr.Load(); v != nil {
		t.Fatal(v)
	}
	if v := cycleErr.Load(); v != nil {
		t.Fatal(v)
	}
	// Exactly once to each permanent hook that matched.
	want := map[*sub]func(p int) bool{
		all:    func(int) bool { return true },
		rng:    func(p int) bool { return p == 0 || p == 1 },
		pat:    func(p int) bool { return p == 2 || p == 3 },
		exact0: func(p int) bool { return p == 0 },
	}
	var delivered uint64
	for s, matches := range want {
		for p := range producers {
			for i := range perProducer {
				c := s.count[[2]int{p, i}]
				if matches(p) && c != 1 || !matches(p) && c != 0 {
					t.Fatalf("%s received producer %d message %d %d times", s.name, p, i, c)
				}
				delivered += uint64(c)
			}
		}
	}
	st := e.Stats()
	if st.Queued != 0 || st.Accepted != st.Delivered {
		t.Fatalf("after shutdown: %+v", st)
	}
	if echoed.Load() != echoes.Load() {
		t.Fatalf("%d echoes accepted, %d delivered", echoes.Load(), echoed.Load())
	}
	if st.Accepted != uint64(producers*perProducer)+echoes.Load() {
		t.Fatalf("accepted %d, want %d producer messages + %d echoes", st.Accepted, producers*perProducer, echoes.Load())
	}
	if stops.Load() == 0 || exactStops.Load() == 0 || churn.Load() == 0 {
		t.Fatalf("the run did not exercise everything: %d stops (%d exact), %d churn registrations", stops.Load(), exactStops.Load(), churn.Load())
	}
	return stressFigures{
		accepted: st.Accepted, delivered: delivered, refused: echoRefused.Load(),
		stops: stops.Load(), exactStops: exactStops.Load(), churn: churn.Load(),
		churnDeliveries: churnDeliveries.Load(), echoes: echoes.Load(), tryFull: tryFull.Load(),
	}
}

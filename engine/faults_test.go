package engine

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// TestSlowHandlerFillsQueue: a handler that blocks fills the queue; then
// blocking puts wait, non-blocking puts return ErrFull, timed puts time out,
// and every outcome is counted. When the handler is released everything
// accepted is delivered.
func TestSlowHandlerFillsQueue(t *testing.T) {
	e := newEngine(t, WithCapacity(4), WithLogger(discardLogger()))
	tp := topic.MustParse("Slow")
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	var delivered atomic.Int64
	e.RegisterFunc(tp, func(event.Message) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		delivered.Add(1)
	})
	e.Start()
	e.Put(tp)
	<-entered // the loop is stuck in the handler
	accepted := int64(1)
	for e.TryPut(tp) == nil {
		accepted++
	}
	var full, timedOut, blockedOK atomic.Int64
	for range 5 {
		if errors.Is(e.TryPut(tp), ErrFull) {
			full.Add(1)
		}
	}
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		if errors.Is(e.PutContext(ctx, tp), context.DeadlineExceeded) {
			timedOut.Add(1)
		}
		cancel()
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if e.Put(tp) == nil {
				blockedOK.Add(1)
			}
		}()
	}
	for e.waited.Load() < 3+3 { // the three timed puts and the three blocking ones
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	shutdown(t, e)
	s := e.Stats()
	if full.Load() != 5 || timedOut.Load() != 3 || blockedOK.Load() != 3 {
		t.Fatalf("full %d timed out %d blocked-then-accepted %d", full.Load(), timedOut.Load(), blockedOK.Load())
	}
	if s.Refused != 1+5+3 || // the TryPut that found the queue full, then 5 + 3
		s.Accepted != uint64(accepted+3) || delivered.Load() != int64(s.Accepted) || s.Delivered != s.Accepted {
		t.Fatalf("stats %+v, accepted before %d, delivered %d", s, accepted, delivered.Load())
	}
}

// TestCancelledContexts: an already-cancelled context refuses a put only
// when it would have to wait.
func TestCancelledContexts(t *testing.T) {
	e := newEngine(t, WithCapacity(1))
	tp := topic.MustParse("C")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.PutContext(ctx, tp); err != nil {
		t.Fatalf("a put with room must succeed even with a cancelled context: %v", err)
	}
	if err := e.PutContext(ctx, tp); !errors.Is(err, context.Canceled) {
		t.Fatalf("a put that must wait with a cancelled context: %v", err)
	}
	if _, err := e.Get(ctx); err != nil {
		t.Fatalf("a get with an item and a cancelled context: %v", err)
	}
	if _, err := e.Get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("a get that must wait with a cancelled context: %v", err)
	}
}

// TestPanickingHandlersDoNotStopTheLoop: panics in handlers of every hook
// are recovered and counted, and delivery goes on.
func TestPanickingHandlersDoNotStopTheLoop(t *testing.T) {
	e := newEngine(t, WithLogger(discardLogger()))
	var ok atomic.Int64
	e.RegisterFunc(topic.MustParse("P.x"), func(event.Message) { panic("exact") })
	e.RegisterFunc(topic.MustParse("P.{y}"), func(event.Message) { panic(errors.New("generic")) })
	e.RegisterFunc(topic.MustParse("P.{y}"), func(event.Message) { ok.Add(1) })
	e.Start()
	for range 100 {
		e.Put(topic.MustParse("P.x"))
	}
	shutdown(t, e)
	if ok.Load() != 100 || e.Stats().HandlerPanics != 200 {
		t.Fatalf("ok %d, panics %d", ok.Load(), e.Stats().HandlerPanics)
	}
}

// countingHook registers a handler on tp that counts deliveries per
// (producer, number) and flags any delivered twice.
type countingHook struct {
	mu    sync.Mutex
	seen  map[[2]int]int
	dupes int
}

func newCountingHook(t *testing.T, e *Engine, tp topic.Topic) *countingHook {
	t.Helper()
	c := &countingHook{seen: map[[2]int]int{}}
	if _, err := e.RegisterFunc(tp, func(m event.Message) {
		p, _ := event.Arg[int](m, 0)
		i, _ := event.Arg[int](m, 1)
		c.mu.Lock()
		defer c.mu.Unlock()
		c.seen[[2]int{p, i}]++
		if c.seen[[2]int{p, i}] > 1 {
			c.dupes++
		}
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *countingHook) count() (n, dupes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen), c.dupes
}

// TestStopWhileProducersBlocked stops the engine while producers wait on a
// full queue: Stop returns, the producers stay blocked (nothing accepted is
// lost, nothing refused) except those that took the slot freed by the
// message in hand, a producer whose context ends gives up with
// context.Canceled, and after Start every accepted message is delivered
// exactly once.
func TestStopWhileProducersBlocked(t *testing.T) {
	e, release := fullEngine(t, WithLogger(discardLogger()))
	tp := topic.MustParse("Blocked")
	hook := newCountingHook(t, e, tp)
	acceptedBefore := e.Stats().Accepted
	const producers = 4 // and one more with a context, number producers
	type result struct {
		p   int
		err error
	}
	results := make(chan result, producers+1)
	for p := range producers {
		go func() { results <- result{p, e.Put(tp, p, 0)} }()
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { results <- result{producers, e.PutContext(ctx, tp, producers, 0)} }()
	for e.waited.Load() < producers+1 {
		runtime.Gosched()
	}
	stopped := make(chan struct{})
	go func() { e.Stop(); close(stopped) }()
	for !e.stopping.Load() {
		runtime.Gosched()
	}
	release() // the stuck handler returns, freeing its slot; the loop stops
	<-stopped
	for e.Occupied() < e.Capacity() { // a blocked producer takes the freed slot
		runtime.Gosched()
	}
	cancel()
	// Now exactly the puts that found room have been accepted, and the
	// engine, stopped with a full queue, accepts no more.
	inStop := int(e.Stats().Accepted - acceptedBefore)
	if inStop < 1 || inStop > producers+1 {
		t.Fatalf("%d puts accepted while stopping", inStop)
	}
	ok, ctxDone, cancelled := 0, false, 0
	for ok < inStop || !ctxDone {
		r := <-results
		switch {
		case r.err == nil:
			ok++
			ctxDone = ctxDone || r.p == producers
		case r.p == producers && errors.Is(r.err, context.Canceled):
			ctxDone, cancelled = true, 1
		default:
			t.Fatalf("producer %d: %v while the engine was stopped", r.p, r.err)
		}
	}
	if ok != inStop {
		t.Fatalf("%d puts returned nil, %d accepted", ok, inStop)
	}
	select {
	case r := <-results:
		t.Fatalf("producer %d returned (%v) while the engine was stopped with a full queue", r.p, r.err)
	default:
	}
	left := producers + 1 - ok - cancelled
	e.Start()
	for range left {
		if r := <-results; r.err != nil {
			t.Fatalf("producer %d after Start: %v", r.p, r.err)
		}
	}
	shutdown(t, e)
	n, dupes := hook.count()
	s := e.Stats()
	if n != int(s.Accepted-acceptedBefore) || dupes != 0 || s.Accepted != s.Delivered || s.Queued != 0 {
		t.Fatalf("%d producers' messages delivered (%d twice), stats %+v", n, dupes, s)
	}
}

// TestShutdownWhileProducersRun shuts down while producers push as fast as
// they can into a small queue (many blocked): each put is either accepted
// or refused with ErrClosed, every accepted message is delivered exactly
// once, and none is accepted after a producer saw ErrClosed.
func TestShutdownWhileProducersRun(t *testing.T) {
	e := newEngine(t, WithCapacity(4))
	tp := topic.MustParse("Flow")
	hook := newCountingHook(t, e, tp)
	e.Start()
	const producers = 4
	accepted := make([]int, producers)
	var wg sync.WaitGroup
	started := make(chan struct{}, producers)
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				err := e.Put(tp, p, i)
				if i == 10 {
					started <- struct{}{}
				}
				if errors.Is(err, ErrClosed) {
					if e.Put(tp, p, i+1) == nil {
						t.Errorf("producer %d: a put accepted after ErrClosed", p)
					}
					return
				}
				if err != nil {
					t.Errorf("producer %d: %v", p, err)
					return
				}
				accepted[p]++
			}
		}()
	}
	for range producers {
		<-started
	}
	shutdown(t, e)
	wg.Wait()
	n, dupes := hook.count()
	total := 0
	for _, a := range accepted {
		total += a
	}
	s := e.Stats()
	if n != total || dupes != 0 || s.Accepted != uint64(total) || s.Delivered != s.Accepted || s.Queued != 0 {
		t.Fatalf("accepted %d, delivered %d distinct (%d twice), stats %+v", total, n, dupes, s)
	}
	for p := range producers {
		for i := range accepted[p] {
			if hook.seen[[2]int{p, i}] != 1 {
				t.Fatalf("producer %d message %d delivered %d times", p, i, hook.seen[[2]int{p, i}])
			}
		}
	}
}

// TestClearWhileRunning: Clear is refused (ErrRunning) every time it is
// tried while messages flow, and delivery goes on untouched; once stopped,
// Clear removes every hook, and later messages reach none.
func TestClearWhileRunning(t *testing.T) {
	e := newEngine(t, WithCapacity(8))
	tp := topic.MustParse("Clear.x")
	hook := newCountingHook(t, e, tp)
	generic := newCountingHook(t, e, topic.MustParse("Clear.{k}"))
	e.Start()
	const n = 2000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			if err := e.Put(tp, 0, i); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	refused := 0
	for i := 0; ; i++ {
		if err := e.Clear(); !errors.Is(err, ErrRunning) {
			t.Fatalf("Clear while running: %v", err)
		}
		refused++
		select {
		case <-done:
		default:
			if i < 1000 {
				continue
			}
			<-done
		}
		break
	}
	shutdown(t, e) // delivers everything queued, then stops
	if err := e.Clear(); err != nil || e.Len() != 0 {
		t.Fatalf("Clear when stopped: %v, %d hooks left", err, e.Len())
	}
	e.Start()
	if err := e.Put(tp, 1, 0); err != nil {
		t.Fatal(err)
	}
	shutdown(t, e)
	got, dupes := hook.count()
	ggot, gdupes := generic.count()
	if got != n || ggot != n || dupes+gdupes != 0 || refused == 0 {
		t.Fatalf("delivered %d exact, %d generic (of %d; %d twice); Clear refused %d times", got, ggot, n, dupes+gdupes, refused)
	}
	if s := e.Stats(); s.Accepted != n+1 || s.Delivered != s.Accepted {
		t.Fatalf("stats %+v", s)
	}
}

// TestCancelledShutdownAndRun: Shutdown whose context ends first stops the
// loop and returns ctx.Err() with the undelivered messages still queued; a
// Run with an ended context returns at once; a later Start delivers every
// message exactly once.
func TestCancelledShutdownAndRun(t *testing.T) {
	e := newEngine(t, WithCapacity(64))
	tp := topic.MustParse("Cancel")
	hook := newCountingHook(t, e, tp)
	const n = 50
	for i := range n {
		if err := e.Put(tp, 0, i); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with an ended context: %v", err)
	}
	err := e.Shutdown(ctx)
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown with an ended context: %v", err)
	}
	delivered, _ := hook.count()
	if s := e.Stats(); s.Running || s.Accepted != n || s.Accepted != s.Delivered+uint64(s.Queued) || s.Delivered != uint64(delivered) {
		t.Fatalf("after a cancelled Shutdown (%v): stats %+v, handler saw %d", err, s, delivered)
	}
	e.Start()
	shutdown(t, e)
	got, dupes := hook.count()
	if got != n || dupes != 0 {
		t.Fatalf("delivered %d of %d (%d twice)", got, n, dupes)
	}
}

package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

func newEngine(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	e, err := New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if e.Active() {
			e.Stop()
		}
	})
	return e
}

// recorder collects the messages a handler received, safely.
type recorder struct {
	mu   sync.Mutex
	msgs []event.Message
}

func (r *recorder) Handle(m event.Message) {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
}

func (r *recorder) seqs() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]uint64, len(r.msgs))
	for i, m := range r.msgs {
		out[i] = m.Seq
	}
	return out
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

func shutdown(t testing.TB, e *Engine) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestFIFOAndSequenceIDs(t *testing.T) {
	e := newEngine(t, WithCapacity(8))
	tp := topic.MustParse("A.B")
	rec := &recorder{}
	if _, err := e.RegisterHandler(tp, rec); err != nil {
		t.Fatal(err)
	}
	e.Start()
	const n = 1000
	for i := range n {
		if err := e.Put(tp, i); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	shutdown(t, e)
	if rec.len() != n {
		t.Fatalf("delivered %d, want %d", rec.len(), n)
	}
	for i, m := range rec.msgs {
		if m.Seq != uint64(i+1) {
			t.Fatalf("message %d has seq %d, want %d", i, m.Seq, i+1)
		}
		if v, ok := event.Arg[int](m, 0); !ok || v != i {
			t.Fatalf("message %d carries %v", i, m.Args)
		}
		if m.Topic != tp {
			t.Fatalf("message %d topic %v", i, m.Topic)
		}
	}
	if s := e.Stats(); s.Accepted != n || s.Delivered != n || s.Queued != 0 || s.Running {
		t.Fatalf("stats after shutdown: %+v", s)
	}
}

func TestExactThenGenericInRegistrationOrder(t *testing.T) {
	e := newEngine(t)
	var mu sync.Mutex
	var got []string
	add := func(pattern string) {
		t.Helper()
		if _, err := e.RegisterFunc(topic.MustParse(pattern), func(event.Message) {
			mu.Lock()
			got = append(got, pattern)
			mu.Unlock()
		}); err != nil {
			t.Fatal(err)
		}
	}
	add("Market.{kind}.{symbol}")
	add("Market.Data./^[A-Z]{4}$/")
	add("Other.{x}")
	add("Market.(Data|Trade).AAPL")
	add("Market.Data.AAPL") // exact, registered last, delivered first
	add("Market.Data.{symbol}")
	e.Start()
	if err := e.Put(topic.MustParse("Market.Data.AAPL")); err != nil {
		t.Fatal(err)
	}
	if err := e.Put(topic.MustParse("Market.Data.IBM")); err != nil {
		t.Fatal(err)
	}
	shutdown(t, e)
	want := []string{
		"Market.Data.AAPL", "Market.{kind}.{symbol}", "Market.Data./^[A-Z]{4}$/", "Market.(Data|Trade).AAPL", "Market.Data.{symbol}",
		"Market.{kind}.{symbol}", "Market.Data.{symbol}",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("delivery order\n got %q\nwant %q", got, want)
	}
	hooks := e.HooksFor(topic.MustParse("Market.Data.AAPL"))
	if len(hooks) != 5 || hooks[0].Topic().String() != "Market.Data.AAPL" {
		t.Fatalf("HooksFor = %v", hooks)
	}
}

func TestFullAndEmpty(t *testing.T) {
	e := newEngine(t, WithCapacity(3))
	tp := topic.MustParse("Q")
	for i := range 3 {
		if err := e.TryPut(tp, i); err != nil {
			t.Fatalf("TryPut %d: %v", i, err)
		}
	}
	if e.Occupied() != 3 || e.Capacity() != 3 {
		t.Fatalf("Occupied %d Capacity %d", e.Occupied(), e.Capacity())
	}
	if err := e.TryPut(tp, 3); !errors.Is(err, ErrFull) {
		t.Fatalf("TryPut on full queue: %v, want ErrFull", err)
	}
	if err := e.TryPublish(tp, nil, map[string]any{"k": 1}); !errors.Is(err, ErrFull) {
		t.Fatalf("TryPublish on full queue: %v, want ErrFull", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if err := e.PutContext(ctx, tp, 3); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PutContext with timeout on full queue: %v", err)
	}
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if err := e.Publish(cctx, tp, nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish with cancelled ctx on full queue: %v", err)
	}
	for i := range 3 {
		m, err := e.TryGet()
		if err != nil || m.Seq != uint64(i+1) {
			t.Fatalf("TryGet %d: %v seq %d", i, err, m.Seq)
		}
	}
	if _, err := e.TryGet(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("TryGet on empty queue: %v, want ErrEmpty", err)
	}
	gctx, gcancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer gcancel()
	if _, err := e.Get(gctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get with timeout on empty queue: %v", err)
	}
	// Refused puts consumed no sequence id.
	if err := e.TryPut(tp, "next"); err != nil {
		t.Fatal(err)
	}
	if m, err := e.TryGet(); err != nil || m.Seq != 4 {
		t.Fatalf("after 4 refused puts the next accepted has seq %d (%v), want 4", m.Seq, err)
	}
	s := e.Stats()
	if s.Refused != 4 || s.Accepted != 4 || s.Taken != 4 {
		t.Fatalf("stats %+v", s)
	}
}

func TestBlockedPutReleasedByLoop(t *testing.T) {
	e := newEngine(t, WithCapacity(1))
	tp := topic.MustParse("Q")
	rec := &recorder{}
	if _, err := e.RegisterHandler(tp, rec); err != nil {
		t.Fatal(err)
	}
	if err := e.Put(tp, 0); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- e.Put(tp, 1) }() // blocks: queue full, loop not running
	e.Start()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	shutdown(t, e)
	if !slices.Equal(rec.seqs(), []uint64{1, 2}) {
		t.Fatalf("delivered %v", rec.seqs())
	}
}

func TestNotExactAndZero(t *testing.T) {
	e := newEngine(t)
	err := e.Put(topic.MustParse("A.{x}"), 1)
	if !errors.Is(err, ErrNotExact) || !strings.Contains(err.Error(), "A.{x}") {
		t.Fatalf("Put on generic topic: %v", err)
	}
	if err := e.TryPut(topic.Topic{}); !errors.Is(err, ErrZeroTopic) {
		t.Fatalf("Put on zero topic: %v", err)
	}
	if e.Stats().Accepted != 0 {
		t.Fatal("refused puts were accepted")
	}
}

func TestStopStartKeepsQueuedMessages(t *testing.T) {
	e := newEngine(t, WithCapacity(64))
	tp := topic.MustParse("S")
	rec := &recorder{}
	stopAt := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	if _, err := e.RegisterFunc(tp, func(m event.Message) {
		rec.Handle(m)
		if m.Seq == 10 {
			once.Do(func() { close(stopAt); <-release })
		}
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := e.Put(tp, i); err != nil {
			t.Fatal(err)
		}
	}
	e.Start()
	<-stopAt
	stopped := make(chan struct{})
	go func() { e.Stop(); close(stopped) }()
	// Stop waits for the message in hand; let the handler finish.
	for e.stopping.Load() == false {
		runtime.Gosched()
	}
	close(release)
	<-stopped
	if e.Active() {
		t.Fatal("Active after Stop")
	}
	n := rec.len()
	if n != 10 {
		t.Fatalf("delivered %d before the stop, want exactly the 10 up to the one in hand", n)
	}
	s := e.Stats()
	if s.Accepted != s.Delivered+uint64(s.Queued) || s.Queued != 40 {
		t.Fatalf("after stop: %+v", s)
	}
	e.Start()
	shutdown(t, e)
	seqs := rec.seqs()
	if len(seqs) != 50 {
		t.Fatalf("delivered %d in all, want 50", len(seqs))
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("order broken at %d: %v", i, seqs)
		}
	}
}

func TestShutdownRefusesThenStartReopens(t *testing.T) {
	e := newEngine(t)
	tp := topic.MustParse("X")
	rec := &recorder{}
	e.RegisterHandler(tp, rec)
	for range 5 {
		e.Put(tp)
	}
	shutdown(t, e) // not running: starts, drains, stops
	if rec.len() != 5 || e.Active() {
		t.Fatalf("shutdown of a stopped engine delivered %d, active %v", rec.len(), e.Active())
	}
	if err := e.Put(tp); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Shutdown: %v, want ErrClosed", err)
	}
	e.Start()
	if err := e.Put(tp); err != nil {
		t.Fatalf("Put after restart: %v", err)
	}
	shutdown(t, e)
	if rec.len() != 6 {
		t.Fatalf("delivered %d, want 6", rec.len())
	}
}

func TestShutdownReleasesBlockedProducers(t *testing.T) {
	e := newEngine(t, WithCapacity(2))
	tp := topic.MustParse("X")
	e.Put(tp)
	e.Put(tp)
	const producers = 3
	errs := make(chan error, producers)
	for range producers {
		go func() { errs <- e.Put(tp) }()
	}
	// Wait until all producers are blocked or done: Waited counts them.
	for e.waited.Load() < producers {
		runtime.Gosched()
	}
	shutdown(t, e)
	accepted := 0
	for range producers {
		switch err := <-errs; {
		case err == nil:
			accepted++
		case errors.Is(err, ErrClosed):
		default:
			t.Fatalf("blocked put returned %v", err)
		}
	}
	s := e.Stats()
	if s.Accepted != uint64(2+accepted) || s.Delivered != s.Accepted || s.Queued != 0 {
		t.Fatalf("stats %+v with %d blocked puts accepted", s, accepted)
	}
}

// TestPutFromHandlerWhenFull: a handler's puts on a full queue never wait
// for the loop and are not refused: they become follow-ups, delivered after
// every message accepted before them with the next sequence ids; past
// WithFollowUpLimit they return ErrFull, counted in FullOnLoop.
func TestPutFromHandlerWhenFull(t *testing.T) {
	for _, limit := range []int{DefaultFollowUpLimit, 3, 0} {
		e := newEngine(t, WithCapacity(4), WithFollowUpLimit(limit))
		tp := topic.MustParse("Loop")
		var fulls, ok int
		var seqs []uint64
		handled := make(chan struct{})
		if _, err := e.RegisterFunc(tp, func(m event.Message) {
			seqs = append(seqs, m.Seq)
			if m.Seq != 1 {
				return
			}
			defer close(handled)
			for i := range 10 { // more than the capacity: must not wait for itself
				switch err := e.Put(tp, i); {
				case err == nil:
					ok++
				case errors.Is(err, ErrFull):
					fulls++
				default:
					t.Errorf("Put from handler: %v", err)
				}
			}
		}); err != nil {
			t.Fatal(err)
		}
		e.Start()
		e.Put(tp)
		<-handled
		shutdown(t, e)
		// The message in hand leaves the queue when its batch ends, so it
		// still holds one slot while its handler runs: 3 puts find room.
		want := min(10, 3+limit)
		if ok != want || fulls != 10-want {
			t.Fatalf("limit %d: from the handler: %d accepted, %d ErrFull; want %d accepted", limit, ok, fulls, want)
		}
		for i, seq := range seqs {
			if seq != uint64(i+1) {
				t.Fatalf("limit %d: delivered sequence ids %v", limit, seqs)
			}
		}
		if s := e.Stats(); s.FullOnLoop != uint64(fulls) || s.Delivered != uint64(1+ok) || s.Accepted != s.Delivered ||
			s.FollowUps != uint64(max(0, ok-3)) || s.FollowUpsQueued != 0 {
			t.Fatalf("limit %d: stats %+v", limit, s)
		}
	}
}

func TestHandlerRegistersAndStops(t *testing.T) {
	e := newEngine(t)
	a, b := topic.MustParse("A"), topic.MustParse("B")
	rec := &recorder{}
	var id event.ID
	id, _ = e.RegisterFunc(a, func(m event.Message) {
		if _, err := e.RegisterHandler(b, rec); err != nil {
			t.Error(err)
		}
		if err := e.UnregisterHandler(a, id); err != nil {
			t.Error(err)
		}
		if err := e.Put(b); err != nil {
			t.Error(err)
		}
	})
	stopped := make(chan struct{})
	e.RegisterFunc(topic.MustParse("Stop"), func(event.Message) { e.Stop(); close(stopped) })
	e.Start()
	e.Put(a)
	e.Put(a) // the A hook is gone by then: reaches no handler
	e.Put(topic.MustParse("Stop"))
	<-stopped
	shutdown(t, e)
	if rec.len() != 1 {
		t.Fatalf("B received %d, want 1", rec.len())
	}
	if e.HooksFor(a) != nil {
		t.Fatal("hook of A not dropped when its last handler left")
	}
}

func TestRegistry(t *testing.T) {
	e := newEngine(t)
	tp := topic.MustParse("R.{x}")
	h := event.NewHook(tp)
	if err := e.RegisterHook(h); err != nil {
		t.Fatal(err)
	}
	if err := e.RegisterHook(h); err != nil {
		t.Fatalf("registering the same hook again: %v", err)
	}
	if err := e.RegisterHook(event.NewHook(tp)); !errors.Is(err, ErrHookExists) {
		t.Fatalf("a second hook for the topic: %v", err)
	}
	rec := &recorder{}
	id1, err := e.RegisterUnique(tp, rec)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := e.RegisterUnique(tp, rec)
	if err != nil || id2 != id1 || h.Len() != 1 {
		t.Fatalf("RegisterUnique twice: ids %d %d err %v len %d", id1, id2, err, h.Len())
	}
	if _, err := e.RegisterUnique(topic.MustParse("F"), event.HandlerFunc(func(event.Message) {})); !errors.Is(err, event.ErrNotComparable) {
		t.Fatalf("RegisterUnique of a func: %v", err)
	}
	if e.Len() != 1 {
		t.Fatalf("Len %d: a failed RegisterUnique left a hook", e.Len())
	}
	ex := topic.MustParse("R.a")
	e.RegisterHandler(ex, rec)
	if e.Len() != 2 || len(e.ExactHooks()) != 1 || len(e.GenericHooks()) != 1 {
		t.Fatalf("Len %d exact %d generic %d", e.Len(), len(e.ExactHooks()), len(e.GenericHooks()))
	}
	var topics []string
	for tt := range e.Topics() {
		topics = append(topics, tt.String())
	}
	if !slices.Equal(topics, []string{"R.{x}", "R.a"}) {
		t.Fatalf("Topics = %q", topics)
	}
	n := 0
	for tt, hk := range e.All() {
		if hk.Topic() != tt {
			t.Fatal("All pairs a topic with another topic's hook")
		}
		n++
	}
	if n != 2 || len(slices.Collect(e.Hooks())) != 2 {
		t.Fatal("All/Hooks count")
	}
	if got := e.HooksFor(tp); len(got) != 2 {
		t.Fatalf("HooksFor(generic) = %d hooks, want its own and the exact one it accepts", len(got))
	}
	if err := e.UnregisterHandlerValue(tp, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := e.UnregisterHook(tp); !errors.Is(err, ErrNoHook) {
		t.Fatalf("hook should have been dropped with its last handler: %v", err)
	}
	if err := e.UnregisterHandler(ex, 999999); !errors.Is(err, ErrNoHandler) {
		t.Fatalf("UnregisterHandler of an unknown id: %v", err)
	}
	e.Start()
	if err := e.Clear(); !errors.Is(err, ErrRunning) {
		t.Fatalf("Clear while running: %v", err)
	}
	e.Stop()
	if err := e.Clear(); err != nil || e.Len() != 0 {
		t.Fatalf("Clear: %v, Len %d", err, e.Len())
	}
	if _, err := e.RegisterHandler(topic.Topic{}, rec); !errors.Is(err, ErrZeroTopic) {
		t.Fatalf("zero topic: %v", err)
	}
}

func TestStartStopTwiceLogged(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, nil))
	e := newEngine(t, WithLogger(log))
	e.Stop()
	e.Start()
	e.Start()
	if err := e.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Fatalf("Run while running: %v", err)
	}
	e.Stop()
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if strings.Count(out, "already running") != 2 || strings.Count(out, "not running") != 1 {
		t.Fatalf("log:\n%s", out)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestRunUntilContextEnds(t *testing.T) {
	e := newEngine(t)
	tp := topic.MustParse("Run")
	ctx, cancel := context.WithCancel(context.Background())
	e.RegisterFunc(tp, func(m event.Message) {
		if m.Seq == 3 {
			cancel()
		}
	})
	for range 3 {
		e.Put(tp)
	}
	if err := e.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if e.Active() || e.Stats().Delivered != 3 {
		t.Fatalf("after Run: active %v stats %+v", e.Active(), e.Stats())
	}
}

func TestRouteCacheBounded(t *testing.T) {
	e := newEngine(t, WithCacheSize(4))
	rec := &recorder{}
	e.RegisterHandler(topic.MustParse("C.{n}"), rec)
	e.Start()
	const n = 100
	for i := range n {
		e.Put(topic.MustParse(fmt.Sprintf("C.%d", i%20)))
	}
	shutdown(t, e)
	if rec.len() != n {
		t.Fatalf("delivered %d, want %d", rec.len(), n)
	}
	if len(e.cache.cur) > 4 || len(e.cache.old) > 4 {
		t.Fatalf("cache holds %d+%d entries, bound 4 per generation", len(e.cache.cur), len(e.cache.old))
	}
	if s := e.Stats(); s.RouteMisses < 20 {
		t.Fatalf("route misses %d: 20 distinct topics must each miss at least once", s.RouteMisses)
	}
}

// TestConcurrentRegistryChanges publishes from several goroutines while
// others register and unregister hooks; run with -race. Every message must
// reach the permanent subscribers exactly once and in order per producer.
func TestConcurrentRegistryChanges(t *testing.T) {
	e := newEngine(t, WithCapacity(128))
	const producers, perProducer = 4, 2000
	type key struct{ p, i int }
	var mu sync.Mutex
	seen := map[string]map[key]int{}
	last := map[string][]int{}
	perm := func(name string) func(event.Message) {
		seen[name] = map[key]int{}
		last[name] = make([]int, producers)
		for i := range last[name] {
			last[name][i] = -1
		}
		return func(m event.Message) {
			p, _ := event.Arg[int](m, 0)
			i, _ := event.Arg[int](m, 1)
			mu.Lock()
			seen[name][key{p, i}]++
			if i <= last[name][p] {
				t.Errorf("%s: producer %d message %d after %d", name, p, i, last[name][p])
			}
			last[name][p] = i
			mu.Unlock()
		}
	}
	e.RegisterFunc(topic.MustParse("P.{n}"), perm("generic"))
	for p := range producers {
		e.RegisterFunc(topic.MustParse(fmt.Sprintf("P.%d", p)), perm(fmt.Sprintf("exact%d", p)))
	}
	e.Start()
	var churn sync.WaitGroup
	stop := make(chan struct{})
	churn.Add(1)
	go func() {
		defer churn.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			tp := topic.MustParse(fmt.Sprintf("P.(%d|x)", i%producers))
			id, err := e.RegisterFunc(tp, func(event.Message) {})
			if err != nil {
				t.Error(err)
				return
			}
			if err := e.UnregisterHandler(tp, id); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tp := topic.MustParse(fmt.Sprintf("P.%d", p))
			for i := range perProducer {
				if err := e.Put(tp, p, i); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	churn.Wait()
	shutdown(t, e)
	if n := len(seen["generic"]); n != producers*perProducer {
		t.Fatalf("generic subscriber saw %d distinct messages, want %d", n, producers*perProducer)
	}
	for name, m := range seen {
		for k, c := range m {
			if c != 1 {
				t.Fatalf("%s got message %v %d times", name, k, c)
			}
		}
	}
	for p := range producers {
		if n := len(seen[fmt.Sprintf("exact%d", p)]); n != perProducer {
			t.Fatalf("exact subscriber %d saw %d", p, n)
		}
	}
}

func TestGoroutinesBackAfterStop(t *testing.T) {
	before := runtime.NumGoroutine()
	e := newEngine(t)
	for range 3 {
		e.Start()
		e.Stop()
	}
	shutdown(t, e)
	// The loop goroutine has returned once Stop returns: only the runtime's
	// bookkeeping after close(done) may lag, so allow it to finish.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after stop, %d before", n, before)
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, o := range []Option{WithCapacity(0), WithMaxSpin(-1), WithLogger(nil), WithClock(nil), WithCacheSize(0)} {
		if _, err := New(o); !errors.Is(err, ErrOption) {
			t.Errorf("New with a bad option: %v, want ErrOption", err)
		}
	}
}

// An idle running engine stops spinning: its loop parks (and so uses no
// CPU), and the next put wakes it.
func TestIdleLoopParks(t *testing.T) {
	e := newEngine(t)
	tp := topic.MustParse("Idle.Wake")
	got := make(chan uint64, 1)
	if _, err := e.RegisterFunc(tp, func(m event.Message) { got <- m.Seq }); err != nil {
		t.Fatal(err)
	}
	e.Start()
	for !e.Stats().LoopParked {
		runtime.Gosched()
	}
	if err := e.Put(tp); err != nil {
		t.Fatal(err)
	}
	if seq := <-got; seq != 1 {
		t.Fatalf("woken loop delivered seq %d, want 1", seq)
	}
	e.Stop()
	if s := e.Stats(); s.LoopParked || s.Running {
		t.Fatalf("stopped engine: %+v", s)
	}
}

// A put whose arguments the caller built, and its delivery to an exact and
// a generic hook, allocate nothing.
func TestPutAndDeliveryAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	e := newEngine(t)
	tp := topic.MustParse("Alloc.Exact")
	done := make(chan struct{}, 1)
	if _, err := e.RegisterFunc(tp, func(event.Message) {}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.RegisterFunc(topic.MustParse("Alloc.{x}"), func(event.Message) { done <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	args := []any{1, "two"}
	kwargs := map[string]any{"k": 3}
	e.Start()
	roundTrip := func() {
		if err := e.Put(tp, args...); err != nil {
			t.Fatal(err)
		}
		<-done
		if err := e.Publish(context.Background(), tp, args, kwargs); err != nil {
			t.Fatal(err)
		}
		<-done
	}
	roundTrip() // the route is cached
	if n := testing.AllocsPerRun(200, roundTrip); n != 0 {
		t.Fatalf("%.1f allocations per put and delivery, want 0", n)
	}
}

// TestShutdownAfterStopFromHandler: a handler stops the loop with messages
// still queued behind it, and Shutdown is called while that loop is ending.
// Shutdown must still deliver them (it used to wait for the stopping loop
// and return with them queued when it saw the engine running). The
// handler stops the loop only after Shutdown has begun.
func TestShutdownAfterStopFromHandler(t *testing.T) {
	for i := range 20 {
		e := newEngine(t)
		rec := &recorder{}
		e.RegisterFunc(topic.MustParse("Stop"), func(event.Message) {
			for !e.q.Closed() { // Shutdown has begun
				runtime.Gosched()
			}
			for range 100 { // give it time to look at the loop: it sees it running
				runtime.Gosched()
			}
			e.Stop()
		})
		e.RegisterHandler(topic.MustParse("After"), rec)
		e.Start()
		e.Put(topic.MustParse("Stop"))
		e.Put(topic.MustParse("After"))
		e.Put(topic.MustParse("After"))
		shutdown(t, e)
		if got := rec.len(); got != 2 {
			t.Fatalf("round %d: %d of 2 messages queued behind the Stop delivered by Shutdown", i, got)
		}
		if s := e.Stats(); s.Queued != 0 || s.Running {
			t.Fatalf("round %d: after Shutdown: %+v", i, s)
		}
	}
}

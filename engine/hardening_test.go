package engine

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/queue"
	"github.com/eventengine/eventengine/topic"
)

// The regression tests of issue 13's defects at the engine level, and of
// the rules that replaced them. A defect that used to hang is bounded by
// within, far beyond what the work needs on a slow machine.

const within = 20 * time.Second

// wait fails the test unless ch yields within the bound.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(within):
		t.Fatalf("%s: not within %v", what, within)
		panic("unreachable")
	}
}

// Issue 13 defect 1: with WithMaxSpin(0) a handler's Put on a full queue
// parked the loop waiting for room only it could make. Now the put is
// accepted as a follow-up and delivered next, with the next sequence id.
func TestHandlerPutOnFullQueueWithoutSpinning(t *testing.T) {
	e := newEngine(t, WithCapacity(1), WithMaxSpin(0))
	tp := topic.MustParse("Defect1")
	putErr := make(chan error, 1)
	rec := &recorder{}
	if _, err := e.RegisterFunc(tp, func(m event.Message) {
		rec.Handle(m)
		if m.Seq == 1 {
			putErr <- e.Put(tp)
		}
	}); err != nil {
		t.Fatal(err)
	}
	e.Start()
	if err := e.Put(tp); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, putErr, "the handler's Put returns"); err != nil {
		t.Fatalf("the handler's Put on a full queue: %v", err)
	}
	shutdown(t, e)
	if seqs := rec.seqs(); !slices.Equal(seqs, []uint64{1, 2}) {
		t.Fatalf("delivered %v, want [1 2]", seqs)
	}
	if s := e.Stats(); s.FollowUps != 1 || s.Accepted != 2 || s.Delivered != 2 {
		t.Fatalf("stats %+v", s)
	}
}

// Issue 13 defect 3: Shutdown called Stop, which waited for a blocked
// handler, so its context could not end it. Now it returns ctx.Err() when
// ctx ends; the loop stops once the handler returns, the queue stays
// closed, and a later Start (waiting for that loop) delivers the rest.
func TestShutdownReturnsWhileHandlerBlocks(t *testing.T) {
	e := newEngine(t)
	tp := topic.MustParse("Defect3")
	entered, release := make(chan struct{}), make(chan struct{})
	var n atomic.Int64
	if _, err := e.RegisterFunc(tp, func(m event.Message) {
		n.Add(1)
		if m.Seq == 1 {
			close(entered)
			<-release
		}
	}); err != nil {
		t.Fatal(err)
	}
	e.Start()
	for range 3 {
		if err := e.Put(tp); err != nil {
			t.Fatal(err)
		}
	}
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- e.Shutdown(ctx) }()
	select {
	case err := <-res:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown: %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(within):
		close(release)
		t.Fatal("Shutdown did not return when its context ended")
	}
	// The state it leaves: the loop is still in the handler, the queue is
	// closed to other goroutines.
	if !e.Active() {
		t.Fatal("not active while the handler still runs")
	}
	if err := e.Put(tp); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after the cancelled Shutdown: %v, want ErrClosed", err)
	}
	close(release)
	e.Start() // waits for the loop to end, then reopens and delivers
	shutdown(t, e)
	if s := e.Stats(); n.Load() != 3 || s.Accepted != 3 || s.Delivered != 3 {
		t.Fatalf("handler saw %d, stats %+v", n.Load(), s)
	}
}

// Issue 13 defect 4: Run ignored the end of its context while messages
// kept coming. Now the loop stops within the batch in hand.
func TestRunStopsPromptlyWhenCancelled(t *testing.T) {
	e := newEngine(t, WithCapacity(256))
	tp := topic.MustParse("Defect4")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var delivered, after atomic.Int64
	var cancelled atomic.Bool
	if _, err := e.RegisterFunc(tp, func(m event.Message) {
		// 20 us of work: the producers keep the queue full, so the loop
		// never finds it empty (where it used to notice the context).
		for start := time.Now(); time.Since(start) < 20*time.Microsecond; {
		}
		if cancelled.Load() {
			after.Add(1)
		}
		if delivered.Add(1) == 500 {
			cancelled.Store(true)
			cancel()
		}
	}); err != nil {
		t.Fatal(err)
	}
	pctx, stopProducers := context.WithCancel(context.Background())
	defer stopProducers()
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; pctx.Err() == nil; i++ {
				e.PutContext(pctx, tp, p, i)
			}
		}()
	}
	ran := make(chan error, 1)
	go func() { ran <- e.Run(ctx) }()
	select {
	case err := <-ran:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v, want context.Canceled", err)
		}
	case <-time.After(within):
		stopProducers()
		<-ran
		t.Fatalf("Run still delivering %v after its context ended (%d messages since)", within, after.Load())
	}
	stopProducers()
	wg.Wait()
	if a := after.Load(); a >= batchSize {
		t.Fatalf("%d messages delivered after the context ended, want fewer than a batch (%d)", a, batchSize)
	}
}

// Issue 13 defect 5, engine side: a handler that calls runtime.Goexit (as
// t.FailNow does) ended the loop's goroutine and left the engine wedged
// or stopped. Now the loop goes on in a new goroutine; the message in hand
// still reaches the other handlers of its hook and the hooks after it;
// Stop returns; TryGet works; Start and Put deliver.
func TestGoexitInHandler(t *testing.T) {
	for _, viaRun := range []bool{false, true} {
		e := newEngine(t, WithCapacity(8), WithLogger(discardLogger()))
		tp := topic.MustParse("Defect5.A")
		later := make(chan uint64, 16)   // the exact hook's second handler
		generic := make(chan uint64, 16) // a generic hook, after the exact one
		if _, err := e.RegisterFunc(tp, func(m event.Message) {
			if m.Seq == 2 {
				runtime.Goexit()
			}
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.RegisterFunc(tp, func(m event.Message) { later <- m.Seq }); err != nil {
			t.Fatal(err)
		}
		if _, err := e.RegisterFunc(topic.MustParse("Defect5.{x}"), func(m event.Message) { generic <- m.Seq }); err != nil {
			t.Fatal(err)
		}
		for range 4 {
			if err := e.Put(tp); err != nil {
				t.Fatal(err)
			}
		}
		runExited := make(chan struct{})
		if viaRun {
			go func() {
				defer close(runExited)
				e.Run(context.Background())
			}()
		} else {
			close(runExited)
			e.Start()
		}
		for want := uint64(1); want <= 4; want++ {
			if a, b := wait(t, later, "the exact hook's later handler"), wait(t, generic, "the generic hook"); a != want || b != want {
				t.Fatalf("run=%v: delivered %d and %d, want %d", viaRun, a, b, want)
			}
		}
		wait(t, runExited, "Run's goroutine ends")
		stopped := make(chan struct{})
		go func() { e.Stop(); close(stopped) }()
		wait(t, stopped, "Stop returns")
		if err := e.Put(tp); err != nil {
			t.Fatal(err)
		}
		if m, err := e.TryGet(); err != nil || m.Seq != 5 {
			t.Fatalf("run=%v: TryGet after the Goexit: %v, %v", viaRun, m, err)
		}
		e.Start()
		if err := e.Put(tp); err != nil {
			t.Fatal(err)
		}
		if got := wait(t, generic, "delivery after a restart"); got != 6 {
			t.Fatalf("run=%v: delivered %d after the restart, want 6", viaRun, got)
		}
		shutdown(t, e)
		if s := e.Stats(); s.LoopRestarts != 1 {
			t.Fatalf("run=%v: stats %+v", viaRun, s)
		}
	}
}

// Issue 13 defect 7: Stats.HandlerPanics counted a hook's panics twice
// after UnregisterHook and RegisterHook of the same hook. It counts the
// panics recovered while the hook was registered, once.
func TestHandlerPanicsAfterReregistering(t *testing.T) {
	e := newEngine(t)
	tp := topic.MustParse("Defect7")
	h := event.NewHook(tp, event.WithLogger(discardLogger()))
	h.AddFunc(func(event.Message) { panic("defect 7") })
	if err := e.RegisterHook(h); err != nil {
		t.Fatal(err)
	}
	deliver := func() {
		e.Start()
		if err := e.Put(tp); err != nil {
			t.Fatal(err)
		}
		shutdown(t, e)
	}
	deliver()
	check := func(when string, want uint64) {
		t.Helper()
		if got := e.Stats().HandlerPanics; got != want {
			t.Fatalf("%s: HandlerPanics %d, want %d", when, got, want)
		}
	}
	check("registered", 1)
	if _, err := e.UnregisterHook(tp); err != nil {
		t.Fatal(err)
	}
	check("unregistered", 1)
	h.Trigger(event.Message{Topic: tp}) // not the engine's: not counted
	if err := e.RegisterHook(h); err != nil {
		t.Fatal(err)
	}
	check("registered again", 1)
	deliver()
	check("after another panic", 2)
	if _, err := e.UnregisterHook(tp); err != nil {
		t.Fatal(err)
	}
	check("unregistered again", 2)
}

// A handler that calls Stop and then Start leaves the engine running, as
// the same calls anywhere else do; Start then Stop leaves it stopped.
func TestStopThenStartFromHandler(t *testing.T) {
	e := newEngine(t)
	tp := topic.MustParse("StopStart")
	seen := make(chan uint64, 8)
	if _, err := e.RegisterFunc(tp, func(m event.Message) {
		switch m.Seq {
		case 1:
			e.Stop()
			e.Start()
		case 3:
			e.Stop()
			e.Start()
			e.Stop()
		}
		seen <- m.Seq
	}); err != nil {
		t.Fatal(err)
	}
	e.Start()
	if err := e.Put(tp); err != nil {
		t.Fatal(err)
	}
	wait(t, seen, "first message")
	if err := e.Put(tp); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, seen, "a message after Stop and Start from a handler"); got != 2 {
		t.Fatalf("delivered %d, want 2", got)
	}
	if err := e.Put(tp); err != nil {
		t.Fatal(err)
	}
	wait(t, seen, "third message")
	stopped := make(chan struct{})
	go func() { e.Stop(); close(stopped) }() // waits for the loop, if it is still ending
	wait(t, stopped, "Stop")
	if e.Active() {
		t.Fatal("running after Stop, Start and Stop from a handler")
	}
}

// Shutdown from a handler cannot wait for its own loop: it returns
// ErrRunning and changes nothing (the queue stays open, the engine runs);
// go e.Shutdown(ctx) from a handler shuts the engine down.
func TestShutdownFromHandler(t *testing.T) {
	e := newEngine(t)
	tp, quit := topic.MustParse("Work"), topic.MustParse("Quit")
	errs := make(chan error, 1)
	seen := make(chan uint64, 8)
	if _, err := e.RegisterFunc(tp, func(m event.Message) {
		if m.Seq == 1 {
			errs <- e.Shutdown(context.Background())
		}
		seen <- m.Seq
	}); err != nil {
		t.Fatal(err)
	}
	shut := make(chan error, 1)
	if _, err := e.RegisterFunc(quit, func(event.Message) {
		go func() { shut <- e.Shutdown(context.Background()) }()
		e.Put(tp) // accepted as a follow-up: the queue is closed or closing
	}); err != nil {
		t.Fatal(err)
	}
	e.Start()
	if err := e.Put(tp); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, errs, "Shutdown from a handler"); !errors.Is(err, ErrRunning) {
		t.Fatalf("Shutdown from a handler: %v, want ErrRunning", err)
	}
	wait(t, seen, "first message")
	if err := e.Put(tp); err != nil {
		t.Fatalf("Put after a refused Shutdown: %v", err)
	}
	if got := wait(t, seen, "second message"); got != 2 || !e.Active() {
		t.Fatalf("delivered %d, active %v", got, e.Active())
	}
	if err := e.Put(quit); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, shut, "go e.Shutdown from a handler"); err != nil {
		t.Fatalf("go e.Shutdown from a handler: %v", err)
	}
	if got := wait(t, seen, "the quit handler's follow-up"); got != 4 || e.Active() {
		t.Fatalf("delivered %d, active %v", got, e.Active())
	}
	if err := e.Put(tp); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Shutdown: %v", err)
	}
}

// Follow-ups left when the loop stops stay, in order, with their sequence
// ids: Get and TryGet take them in turn with the queue's messages, and a
// later Start delivers them.
func TestFollowUpsKeptAcrossStop(t *testing.T) {
	for _, pull := range []bool{true, false} {
		e := newEngine(t, WithCapacity(2))
		tp := topic.MustParse("Kept")
		rec := &recorder{}
		if _, err := e.RegisterFunc(tp, func(m event.Message) {
			rec.Handle(m)
			if m.Seq == 1 {
				if err := e.Publish(context.Background(), tp, []any{"follow-up"}, map[string]any{"k": 1}); err != nil {
					t.Errorf("Publish from a handler: %v", err)
				}
				e.Stop()
			}
		}); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if err := e.Put(tp, i); err != nil {
				t.Fatal(err)
			}
		}
		e.Start()
		for e.Active() || rec.len() == 0 { // Stop from the handler ends the loop
			runtime.Gosched()
		}
		if s := e.Stats(); s.Queued != 2 || s.FollowUpsQueued != 1 || s.Accepted != s.Delivered+uint64(s.Queued) {
			t.Fatalf("after the stop: %+v", s)
		}
		var got []event.Message
		if pull {
			for range 2 {
				m, err := e.TryGet()
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, m)
			}
			if _, err := e.TryGet(); !errors.Is(err, ErrEmpty) {
				t.Fatalf("TryGet after all: %v", err)
			}
		} else {
			e.Start()
			shutdown(t, e)
			got = rec.msgs[1:]
		}
		if len(got) != 2 || got[0].Seq != 2 || got[1].Seq != 3 || got[1].Args[0] != "follow-up" || got[1].Kwargs["k"] != 1 {
			t.Fatalf("pull=%v: got %v", pull, got)
		}
		if s := e.Stats(); s.Accepted != s.Delivered+s.Taken || s.Queued != 0 {
			t.Fatalf("pull=%v: stats %+v", pull, s)
		}
	}
}

// Get and TryGet are for a stopped engine: on a running one they return
// ErrRunning, and a Get waiting when the loop starts returns it too.
func TestGetWhileRunning(t *testing.T) {
	e := newEngine(t)
	res := make(chan error, 1)
	go func() {
		_, err := e.Get(context.Background())
		res <- err
	}()
	for e.pullers() == 0 {
		runtime.Gosched()
	}
	e.Start()
	if err := wait(t, res, "a waiting Get when the loop starts"); !errors.Is(err, ErrRunning) {
		t.Fatalf("Get: %v, want ErrRunning", err)
	}
	if _, err := e.TryGet(); !errors.Is(err, ErrRunning) {
		t.Fatalf("TryGet on a running engine: %v", err)
	}
	if _, err := e.Get(context.Background()); !errors.Is(err, ErrRunning) {
		t.Fatalf("Get on a running engine: %v", err)
	}
}

// TestPipelineThroughShutdown: three stages, each handler publishing the
// next; four producers saturate a small queue, and Shutdown comes while
// they do. Every stage delivers exactly the count of the stage before it,
// no handler's put fails, and the sequence ids are 1, 2, 3, ... in
// delivery order.
func TestPipelineThroughShutdown(t *testing.T) {
	e := newEngine(t, WithCapacity(64))
	s1, s2, s3 := topic.MustParse("Stage.One"), topic.MustParse("Stage.Two"), topic.MustParse("Stage.Three")
	var n1, n2, n3 int // loop-only until Shutdown returns
	var seqs []uint64
	var failed atomic.Int64
	busy := make(chan struct{})
	next := func(to topic.Topic, n *int) func(event.Message) {
		return func(m event.Message) {
			*n++
			seqs = append(seqs, m.Seq)
			if to.IsZero() {
				if *n == 20000 {
					close(busy)
				}
				return
			}
			if err := e.Put(to, m.Args...); err != nil {
				failed.Add(1)
			}
		}
	}
	for _, r := range []struct {
		t, to topic.Topic
		n     *int
	}{{s1, s2, &n1}, {s2, s3, &n2}, {s3, topic.Topic{}, &n3}} {
		if _, err := e.RegisterFunc(r.t, next(r.to, r.n)); err != nil {
			t.Fatal(err)
		}
	}
	e.Start()
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if err := e.Put(s1, p, i); err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("producer: %v", err)
					}
					return
				}
				accepted.Add(1)
			}
		}()
	}
	wait(t, busy, "20,000 messages through the pipeline")
	shutdown(t, e)
	wg.Wait()
	if int64(n1) != accepted.Load() || n2 != n1 || n3 != n2 || failed.Load() != 0 {
		t.Fatalf("accepted %d; stages delivered %d, %d, %d; %d handler puts failed", accepted.Load(), n1, n2, n3, failed.Load())
	}
	for i, seq := range seqs {
		if seq != uint64(i+1) {
			t.Fatalf("delivery %d has sequence id %d", i+1, seq)
		}
	}
	s := e.Stats()
	if s.Accepted != uint64(3*n1) || s.Delivered != s.Accepted || s.Queued != 0 || s.FullOnLoop != 0 {
		t.Fatalf("stats %+v", s)
	}
	t.Logf("%d messages per stage, %d of the follow-ups kept beside the queue", n1, s.FollowUps)
}

// syncBuffer is a bytes.Buffer safe for concurrent writers, for logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Registry errors wrap sentinels: event.ErrNilHandler for a nil handler
// or func, ErrNilHook for a nil hook.
func TestRegistryErrorsWrapSentinels(t *testing.T) {
	e := newEngine(t)
	tp := topic.MustParse("Nil")
	if err := e.RegisterHook(nil); !errors.Is(err, ErrNilHook) {
		t.Fatalf("RegisterHook(nil): %v", err)
	}
	if _, err := e.RegisterHandler(tp, nil); !errors.Is(err, event.ErrNilHandler) || !strings.Contains(err.Error(), `"Nil"`) {
		t.Fatalf("RegisterHandler(nil): %v", err)
	}
	if _, err := e.RegisterFunc(tp, nil); !errors.Is(err, event.ErrNilHandler) {
		t.Fatalf("RegisterFunc(nil): %v", err)
	}
	if _, err := e.RegisterUnique(tp, nil); !errors.Is(err, event.ErrNilHandler) {
		t.Fatalf("RegisterUnique(nil): %v", err)
	}
	if e.Len() != 0 {
		t.Fatalf("%d hooks left by refused registrations", e.Len())
	}
}

// One rule for invalid options in queue and engine: New returns an error
// wrapping ErrOption (which is queue.ErrOption) that names the option and
// the value; nil options are ignored.
func TestInvalidOptions(t *testing.T) {
	for _, c := range []struct {
		opt  Option
		name string
	}{
		{WithCapacity(0), "WithCapacity(0)"},
		{WithMaxSpin(-1), "WithMaxSpin(-1)"},
		{WithLogger(nil), "WithLogger(nil)"},
		{WithClock(nil), "WithClock(nil)"},
		{WithCacheSize(0), "WithCacheSize(0)"},
		{WithFollowUpLimit(-1), "WithFollowUpLimit(-1)"},
	} {
		e, err := New(nil, c.opt)
		if e != nil || !errors.Is(err, ErrOption) || !errors.Is(err, queue.ErrOption) || !strings.Contains(err.Error(), c.name) {
			t.Errorf("New(%s): %v, %v", c.name, e, err)
		}
	}
	if _, err := queue.New[int](1, queue.WithMaxSpin(-1)); !errors.Is(err, ErrOption) {
		t.Errorf("queue.WithMaxSpin(-1): %v", err)
	}
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// logTo returns a logger writing JSON records into buf, safely.
func logTo(buf *syncBuffer) *slog.Logger { return slog.New(slog.NewJSONHandler(buf, nil)) }

// drain delivers everything queued by running the loop until Shutdown.
func drain(t *testing.T, e *Engine) {
	t.Helper()
	if !e.Active() {
		e.Start()
	}
	shutdown(t, e)
}

func TestSubscribeByString(t *testing.T) {
	e := newEngine(t)
	var got []string
	sub, err := e.Subscribe("Market.Data.{symbol}", func(m event.Message) {
		got = append(got, fmt.Sprint(m.Seq, " ", m.Param("symbol"), " ", m.Args))
	})
	if err != nil {
		t.Fatal(err)
	}
	if sub.Topic() != topic.MustParse("Market.Data.{symbol}") || !sub.Active() || sub.ID() == 0 {
		t.Fatalf("handle: %v %v %v", sub.Topic(), sub.Active(), sub.ID())
	}
	if !strings.Contains(sub.Name(), "TestSubscribeByString") {
		t.Fatalf("default name %q", sub.Name())
	}
	if err := e.Send("Market.Data.AAPL", 187.5); err != nil {
		t.Fatal(err)
	}
	if err := e.Put(topic.MustParse("Market.Data.MSFT"), 411.25); err != nil {
		t.Fatal(err)
	}
	drain(t, e)
	if want := []string{"1 AAPL [187.5]", "2 MSFT [411.25]"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestSubscribeBadInput(t *testing.T) {
	e := newEngine(t)
	var te *topic.Error
	if _, err := e.Subscribe("Market..Data", func(event.Message) {}); !errors.As(err, &te) || !strings.Contains(err.Error(), "subscribe") {
		t.Fatalf("bad pattern: %v", err)
	}
	if _, err := e.Subscribe("A.B", nil); !errors.Is(err, event.ErrNilHandler) {
		t.Fatalf("nil handler: %v", err)
	}
	if _, err := e.SubscribeTopic(topic.Topic{}, func(event.Message) {}); !errors.Is(err, ErrZeroTopic) {
		t.Fatalf("zero topic: %v", err)
	}
	if err := e.Send("Market..Data", 1); !errors.As(err, &te) {
		t.Fatalf("bad subject: %v", err)
	}
	if err := e.Send("Market.{x}", 1); !errors.Is(err, ErrNotExact) {
		t.Fatalf("generic subject: %v", err)
	}
	if e.Len() != 0 || e.Occupied() != 0 {
		t.Fatal("bad input left something behind")
	}
}

func TestUnsubscribe(t *testing.T) {
	e := newEngine(t)
	var mu sync.Mutex
	var log []string
	note := func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() }
	var self, other *Subscription
	var err error
	// self unsubscribes itself on its first message; first unsubscribes
	// other, a later handler of the same hook, on the second message.
	self, err = e.Subscribe("T.{x}", func(m event.Message) {
		note(fmt.Sprint("self ", m.Seq))
		if err := self.Unsubscribe(); err != nil {
			t.Error(err)
		}
		if err := self.Unsubscribe(); err != nil { // idempotent
			t.Error(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := e.Subscribe("T.{x}", func(m event.Message) {
		note(fmt.Sprint("first ", m.Seq))
		if m.Seq == 2 {
			other.Unsubscribe()
		}
	})
	other, _ = e.Subscribe("T.{x}", func(m event.Message) { note(fmt.Sprint("other ", m.Seq)) })
	for range 3 {
		e.Send("T.a")
	}
	drain(t, e)
	want := []string{"self 1", "first 1", "other 1", "first 2", "first 3"}
	if !slices.Equal(log, want) {
		t.Fatalf("log %q, want %q", log, want)
	}
	if self.Active() || other.Active() || !first.Active() {
		t.Fatal("Active")
	}
	if err := first.Unsubscribe(); err != nil || e.Len() != 0 {
		t.Fatalf("last unsubscribe: %v, %d hooks left", err, e.Len())
	}
	if !strings.Contains(self.String(), "unsubscribed") || !strings.Contains(first.String(), "T.{x}") {
		t.Fatalf("String %q %q", self, first)
	}
	// A subscription removed by Clear unsubscribes without error.
	s, _ := e.Subscribe("U", func(event.Message) {})
	if err := e.Clear(); err != nil {
		t.Fatal(err)
	}
	if s.Active() || s.Unsubscribe() != nil {
		t.Fatal("after Clear")
	}
}

// Unsubscribe from another goroutine: once it returns, the handler is not
// called again but for a call already under way, although the loop keeps
// delivering on that hook.
func TestUnsubscribeConcurrent(t *testing.T) {
	e := newEngine(t, WithCapacity(64))
	var calls atomic.Int64
	sub, _ := e.Subscribe("T", func(event.Message) { calls.Add(1) })
	e.Subscribe("T", func(event.Message) {}) // keeps the hook alive
	e.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5000 {
			if err := e.SendContext(ctx, "T"); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for calls.Load() < 100 && ctx.Err() == nil {
		e.Send("T")
	}
	sub.Unsubscribe()
	before := calls.Load()
	<-done
	shutdown(t, e)
	if after := calls.Load(); after > before+1 {
		t.Fatalf("handler called %d times after Unsubscribe returned", after-before)
	}
}

func TestUnregisterID(t *testing.T) {
	e := newEngine(t)
	a, _ := e.RegisterFunc(topic.MustParse("A.{x}"), func(event.Message) {})
	b, _ := e.RegisterFunc(topic.MustParse("B"), func(event.Message) {})
	if err := e.UnregisterID(a); err != nil {
		t.Fatal(err)
	}
	if err := e.UnregisterID(a); !errors.Is(err, ErrNoHandler) {
		t.Fatalf("twice: %v", err)
	}
	if e.Len() != 1 {
		t.Fatalf("%d hooks, want 1 (the empty one dropped)", e.Len())
	}
	if err := e.UnregisterID(b); err != nil || e.Len() != 0 {
		t.Fatalf("%v, %d hooks", err, e.Len())
	}
}

func TestSubscribeErr(t *testing.T) {
	var buf syncBuffer
	e := newEngine(t, WithLogger(logTo(&buf)))
	bad := errors.New("no price")
	sub, err := e.SubscribeErr("Market.Data.{symbol}", func(m event.Message) error {
		if _, err := event.ArgErr[float64](m, 0); err != nil {
			return err
		}
		if m.Param("symbol") == "BAD" {
			return bad
		}
		return nil
	}, WithName("pricer"))
	if err != nil {
		t.Fatal(err)
	}
	e.Send("Market.Data.AAPL", 187.5)
	e.Send("Market.Data.AAPL", 187) // an int: a type error, not a silent 0
	e.Send("Market.Data.BAD", 1.0)
	drain(t, e)
	if st := sub.Stats(); st.Errors != 2 || st.Name != "pricer" {
		t.Fatalf("Stats %+v", st)
	}
	if st := e.Stats(); st.HandlerErrors != 2 || st.HandlerPanics != 0 {
		t.Fatalf("engine Stats: errors %d panics %d", st.HandlerErrors, st.HandlerPanics)
	}
	out := buf.String()
	for _, want := range []string{`"handler":"pricer"`, `argument 0 is a int: wrong type, want float64`, `"error":"no price"`, `"seq":2`, `"seq":3`} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %s:\n%s", want, out)
		}
	}
	// The engine's count survives the subscription.
	sub.Unsubscribe()
	if st := e.Stats(); st.HandlerErrors != 2 {
		t.Fatalf("after Unsubscribe: %d", st.HandlerErrors)
	}
	if st := sub.Stats(); st.Errors != 2 {
		t.Fatalf("Stats after Unsubscribe %+v", st)
	}
}

// A context handler's context ends when the engine stops, so a handler
// that waits on it lets Stop return.
func TestSubscribeContext(t *testing.T) {
	e := newEngine(t)
	entered := make(chan struct{})
	var cause error
	_, err := e.SubscribeContext("Jobs.{id}", func(ctx context.Context, m event.Message) error {
		close(entered)
		<-ctx.Done()
		cause = ctx.Err()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Start()
	e.Send("Jobs.1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case <-entered:
	case <-ctx.Done():
		t.Fatal("handler not called")
	}
	stopped := make(chan struct{})
	go func() { e.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done():
		t.Fatal("Stop waits for a handler waiting on its context")
	}
	if !errors.Is(cause, context.Canceled) {
		t.Fatalf("ctx.Err() = %v", cause)
	}
	// Called while stopped (a hook triggered by hand), the context has ended.
	if err := e.runContext().Err(); err == nil {
		t.Fatal("context of a stopped engine has not ended")
	}
}

func TestMiddleware(t *testing.T) {
	var log []string
	mw := func(name string) Middleware {
		return func(s *Subscription, next HandleFunc) HandleFunc {
			return func(ctx context.Context, m event.Message) error {
				log = append(log, name+">"+s.Name())
				err := next(ctx, m)
				log = append(log, name+"<")
				return err
			}
		}
	}
	var buf syncBuffer
	e := newEngine(t, WithMiddleware(mw("outer"), mw("inner")), WithMiddleware(Recover), WithLogger(logTo(&buf)))
	s1, _ := e.Subscribe("A", func(event.Message) { log = append(log, "plain") }, WithName("p"))
	s2, _ := e.SubscribeErr("A", func(event.Message) error { panic("boom") }, WithName("q"))
	e.Send("A")
	drain(t, e)
	want := []string{"outer>p", "inner>p", "plain", "inner<", "outer<", "outer>q", "inner>q", "inner<", "outer<"}
	if !slices.Equal(log, want) {
		t.Fatalf("log %q, want %q", log, want)
	}
	// Recover turned the panic into an error.
	if st := s2.Stats(); st.Errors != 1 || st.Panics != 0 {
		t.Fatalf("q %+v", st)
	}
	if st := s1.Stats(); st.Errors != 0 {
		t.Fatalf("p %+v", st)
	}
	if !strings.Contains(buf.String(), "handler panicked: boom") {
		t.Fatalf("log %s", buf.String())
	}
	if _, err := New(WithMiddleware(nil)); !errors.Is(err, ErrOption) {
		t.Fatalf("nil middleware: %v", err)
	}
}

func TestKeywordArguments(t *testing.T) {
	var buf syncBuffer
	e := newEngine(t, WithLogger(logTo(&buf)))
	var got []string
	e.Subscribe("Orders.New", func(m event.Message) {
		id, _ := event.Kwarg[string](m, "id")
		got = append(got, fmt.Sprint(m.Args, " ", id, " ", len(m.Kwargs)))
	})
	tp := topic.MustParse("Orders.New")
	e.Put(tp, 100, event.Kw{"id": "A-1"})
	e.Send("Orders.New", 200, event.Kw{"id": "A-2"})
	e.Put(tp, 300, map[string]any{"id": "A-3"})  // a plain map stays positional in Put
	e.Put(tp, 301, map[string]any{"id": "A-3b"}) // and is warned of once only
	e.TryPut(tp, event.Kw{"id": "A-4"})
	err := e.Send("Orders.New", 400, map[string]any{"id": "A-5"})
	if !errors.Is(err, ErrMapArg) || !strings.Contains(err.Error(), "argument 1") {
		t.Fatalf("Send with a map: %v", err)
	}
	drain(t, e)
	want := []string{"[100] A-1 1", "[200] A-2 1", "[300 map[id:A-3]]  0", "[301 map[id:A-3b]]  0", "[] A-4 1"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if n := strings.Count(buf.String(), "map[string]any"); n != 1 || !strings.Contains(buf.String(), `"argument":1`) {
		t.Fatalf("%d warnings of a map argument: %s", n, buf.String())
	}
}

// A put or get that gave up because its context ended satisfies
// errors.Is with ErrFull or ErrEmpty, and with the context's error.
func TestGaveUpIsFullOrEmpty(t *testing.T) {
	e := newEngine(t, WithCapacity(1), WithMaxSpin(0))
	tp := topic.MustParse("A")
	if err := e.Put(tp); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range []error{e.PutContext(ctx, tp), e.SendContext(ctx, "A"), PublishValueContext(ctx, e, "A", 1)} {
		if !errors.Is(err, ErrFull) || !errors.Is(err, context.Canceled) {
			t.Fatalf("put: %v", err)
		}
	}
	if _, err := e.TryGet(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Get(ctx); !errors.Is(err, ErrEmpty) || !errors.Is(err, context.Canceled) {
		t.Fatalf("get: %v", err)
	}
}

func TestStringsAndHook(t *testing.T) {
	e := newEngine(t, WithCapacity(8), WithHandlerStats())
	if got := e.String(); got != "engine stopped: 0/8 queued, 0 hooks (0 exact, 0 generic), 0 timers" {
		t.Fatalf("%q", got)
	}
	e.Subscribe("A.{x}", func(event.Message) {})
	e.Subscribe("A.{x}", func(event.Message) {})
	e.Subscribe("B", func(event.Message) {})
	e.Send("B")
	if got := e.String(); got != "engine stopped: 1/8 queued, 2 hooks (1 exact, 1 generic), 0 timers" {
		t.Fatalf("%q", got)
	}
	h, ok := e.Hook(topic.MustParse("A.{x}"))
	if !ok || h.String() != "hook A.{x} (2 handlers, with stats)" {
		t.Fatalf("%v %v", h, ok)
	}
	if _, ok := e.Hook(topic.MustParse("A.b")); ok {
		t.Fatal("Hook of a topic without its own hook")
	}
	e.Start()
	if got := e.String(); !strings.HasPrefix(got, "engine running: ") {
		t.Fatalf("%q", got)
	}
	shutdown(t, e)
	if got := e.String(); got != "engine shut down: 0/8 queued, 2 hooks (1 exact, 1 generic), 0 timers" {
		t.Fatalf("%q", got)
	}
}

func TestSlowHandlerWarning(t *testing.T) {
	var buf syncBuffer
	e := newEngine(t, WithSlowHandler(time.Nanosecond), WithLogger(logTo(&buf)))
	sub, _ := e.Subscribe("Jobs.{id}", func(event.Message) {
		n := 0
		for i := range 2000 {
			n += i
		}
		benchSink += float64(n)
	}, WithName("slowpoke"))
	for range 20 {
		e.Send("Jobs.1")
	}
	drain(t, e)
	st := sub.Stats()
	if st.Calls != 20 || st.Slow != 20 || st.Max <= 0 || len(st.Buckets) == 0 || st.LastEnd.IsZero() {
		t.Fatalf("stats %+v", st)
	}
	if n := strings.Count(buf.String(), "slow handler"); n != 1 || !strings.Contains(buf.String(), `"handler":"slowpoke"`) {
		t.Fatalf("%d warnings: %s", n, buf.String())
	}
	if _, err := New(WithSlowHandler(0)); !errors.Is(err, ErrOption) {
		t.Fatalf("zero threshold: %v", err)
	}
}

func TestMiddlewareNil(t *testing.T) {
	bad := func(*Subscription, HandleFunc) HandleFunc { return nil }
	e := newEngine(t, WithMiddleware(bad))
	if _, err := e.Subscribe("A", func(event.Message) {}); !errors.Is(err, ErrMiddleware) || !strings.Contains(err.Error(), "middleware 0") {
		t.Fatalf("nil from a middleware: %v", err)
	}
	if e.Len() != 0 {
		t.Fatalf("%d hooks left", e.Len())
	}
}

// Send parses a text seen before without allocating: with an existing
// argument slice, a Send allocates nothing.
func TestSendAllocs(t *testing.T) {
	e := newEngine(t, WithCapacity(1024))
	args := []any{187.5, 100}
	subject := strings.Clone("Market.Data.AAPL") // not a constant: parsed each time
	e.TrySend(subject, args...)
	if n := testing.AllocsPerRun(100, func() {
		if err := e.TrySend(subject, args...); err != nil {
			t.Fatal(err)
		}
		e.TryGet()
	}); n != 0 {
		t.Fatalf("Send: %v allocations", n)
	}
}

// Subscriptions made and ended from several goroutines while messages
// flow: no race, and a subscription kept throughout sees every message.
func TestSubscribeChurn(t *testing.T) {
	e := newEngine(t, WithCapacity(64), WithHandlerStats())
	var kept atomic.Int64
	keep, _ := SubscribeValue(e, "Churn.{n}", func(_ event.Message, v int) { kept.Add(int64(v)) })
	e.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				s, err := e.Subscribe(fmt.Sprintf("Churn.%d", i%5), func(m event.Message) { _ = m.Param("n") })
				if err != nil {
					t.Error(err)
					return
				}
				if err := PublishValueContext(ctx, e, fmt.Sprintf("Churn.%d", g), 1); err != nil {
					t.Error(err)
					return
				}
				_ = s.Stats()
				if err := s.Unsubscribe(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	shutdown(t, e)
	if kept.Load() != 600 || keep.Stats().Calls != 600 {
		t.Fatalf("kept %d, calls %d", kept.Load(), keep.Stats().Calls)
	}
	if e.Len() != 1 {
		t.Fatalf("%d hooks left, want the kept one", e.Len())
	}
}

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

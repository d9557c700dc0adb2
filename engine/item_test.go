package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// kwargsFor is the keyword arguments message i of producer p carries: a map
// of its own, an empty map, or none, so that a message handed another's
// entry of the engine's kw array, or none, is caught.
func kwargsFor(p, i int) map[string]any {
	switch i % 3 {
	case 0:
		return map[string]any{"p": p, "i": i}
	case 1:
		return map[string]any{}
	}
	return nil
}

// checkPacked checks that m, message i of producer p, came through the
// queue whole: args, their capacity, and kwargs.
func checkPacked(m event.Message, p, i int) error {
	want := kwargsFor(p, i)
	switch {
	case len(m.Args) != 2 || m.Args[0] != p || m.Args[1] != i:
		return fmt.Errorf("args %v, want [%d %d]", m.Args, p, i)
	case cap(m.Args) != len(m.Args):
		return fmt.Errorf("cap(args) %d, want len %d", cap(m.Args), len(m.Args))
	case (want == nil) != (m.Kwargs == nil) || len(want) != len(m.Kwargs):
		return fmt.Errorf("message %d/%d: kwargs %v, want %v", p, i, m.Kwargs, want)
	case len(want) > 0 && (m.Kwargs["p"] != p || m.Kwargs["i"] != i):
		return fmt.Errorf("message %d/%d: kwargs %v, want %v", p, i, m.Kwargs, want)
	}
	return nil
}

// TestKwargsBesideTheQueue: keyword arguments, kept beside the queue by
// position, reach the loop with their own message, whatever the mix of
// messages with and without them, through many laps of a small queue that
// is often full (so Publish waits and takes the slow path) and with several
// producers.
func TestKwargsBesideTheQueue(t *testing.T) {
	const producers, per = 4, 3000
	e := newEngine(t, WithCapacity(5))
	tp := topic.MustParse("Pack.Kwargs")
	var (
		mu   sync.Mutex
		errs []error
		next [producers]int
		n    int
	)
	done := make(chan struct{})
	if _, err := e.RegisterFunc(tp, func(m event.Message) {
		p, _ := m.Args[0].(int)
		mu.Lock()
		defer mu.Unlock()
		if p < 0 || p >= producers {
			errs = append(errs, fmt.Errorf("bad producer in %v", m))
		} else if err := checkPacked(m, p, next[p]); err != nil {
			errs = append(errs, err)
		} else {
			next[p]++
		}
		if n++; n == producers*per {
			close(done)
		}
	}); err != nil {
		t.Fatal(err)
	}
	e.Start()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range per {
				args := make([]any, 2, 4) // capacity beyond the length
				args[0], args[1] = p, i
				if err := e.Publish(context.Background(), tp, args, kwargsFor(p, i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(errs) > 0 {
		t.Fatalf("%d bad messages, first: %v", len(errs), errs[0])
	}
}

// TestPackedGet: Get and TryGet give back the message as published (args,
// nil or empty args, kwargs) with its sequence id, and clear the slot and
// the kwargs entry they took.
func TestPackedGet(t *testing.T) {
	e := newEngine(t, WithCapacity(3))
	tp := topic.MustParse("Pack.Get")
	var seq uint64
	for lap := range 4 {
		for i := range 3 {
			seq++
			if err := e.TryPublish(tp, []any{0, 3*lap + i}, kwargsFor(0, 3*lap+i)); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 3 {
			var m event.Message
			var err error
			if i%2 == 0 {
				m, err = e.TryGet()
			} else {
				m, err = e.Get(context.Background())
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := checkPacked(m, 0, 3*lap+i); err != nil {
				t.Fatal(err)
			}
			if want := seq - 2 + uint64(i); m.Seq != want || m.Topic != tp {
				t.Fatalf("got %v, want seq %d on %v", m, want, tp)
			}
		}
	}
	for i, kw := range e.kw {
		if kw != nil {
			t.Fatalf("kw[%d] = %v after every message was taken", i, kw)
		}
	}
	if _, err := e.TryGet(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("TryGet on an empty queue: %v, want ErrEmpty", err)
	}
	// nil and empty (non-nil) args stay what they were.
	if err := e.TryPut(tp); err != nil {
		t.Fatal(err)
	}
	if err := e.TryPut(tp, []any{}...); err != nil {
		t.Fatal(err)
	}
	if m, err := e.TryGet(); err != nil || m.Args != nil {
		t.Fatalf("Put without args: %#v, %v, want nil args", m.Args, err)
	}
	if m, err := e.TryGet(); err != nil || m.Args == nil || len(m.Args) != 0 {
		t.Fatalf("Put with empty args: %#v, %v, want empty non-nil args", m.Args, err)
	}
}

// The loop's gather waits for a backlog that the queue can hold: half the
// capacity when that is under gatherLag, else it would wait out gatherWait
// after every full batch for a backlog that cannot build up.
func TestGatherLagFitsCapacity(t *testing.T) {
	for _, c := range []struct{ capacity, want int }{{DefaultCapacity, gatherLag}, {512, gatherLag}, {100, 50}, {1, 1}} {
		if got := MustNew(WithCapacity(c.capacity)).gatherLag; got != c.want {
			t.Errorf("capacity %d: gather lag %d, want %d", c.capacity, got, c.want)
		}
	}
}

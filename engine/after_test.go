package engine

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// TestAfterDelivery: the AfterDelivery functions run once for every
// message the loop delivers, after all of its handlers (exact hook,
// generic hooks, handlers registered after the function), whether a
// handler returned, failed, panicked or ended the loop's goroutine; with
// no hook at all, and for follow-ups; a panicking function does not keep
// the next one from running; removing one stops its calls.
func TestAfterDelivery(t *testing.T) {
	e := newEngine(t, WithCapacity(4), WithLogger(discardLogger()))
	var mu sync.Mutex
	var log []string
	note := func(s string) {
		mu.Lock()
		log = append(log, s)
		mu.Unlock()
	}
	exact, other := topic.MustParse("After.A"), topic.MustParse("Nobody.Listens")
	first, err := e.AfterDelivery(func(m event.Message) {
		note(fmt.Sprintf("after1 %d", m.Seq))
		if m.Seq == 3 {
			panic("after1 panics")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan uint64, 16)
	if _, err := e.AfterDelivery(func(m event.Message) {
		note(fmt.Sprintf("after2 %d", m.Seq))
		done <- m.Seq
	}); err != nil {
		t.Fatal(err)
	}
	// Registered after the AfterDelivery functions, as a handler
	// registered after a bridge started is.
	if _, err := e.RegisterFunc(exact, func(m event.Message) {
		note(fmt.Sprintf("exact %d", m.Seq))
		switch m.Seq {
		case 2:
			panic("a handler panics")
		case 4:
			runtime.Goexit()
		case 5:
			// Follow-ups: the queue (capacity 4) has no room for 6.
			for range 6 {
				if err := e.Put(other); err != nil {
					panic(err)
				}
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.SubscribeErr("After.{x}", func(m event.Message) error {
		note(fmt.Sprintf("generic %d", m.Seq))
		if m.Seq == 1 {
			return errors.New("a handler fails")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.Start()
	for range 4 {
		if err := e.Put(exact); err != nil {
			t.Fatal(err)
		}
	}
	for want := uint64(1); want <= 4; want++ {
		if got := wait(t, done, "after2"); got != want {
			t.Fatalf("after2 got message %d, want %d", got, want)
		}
	}
	// A message of one hook whose handler ends the goroutine: the
	// functions still run after it.
	if err := e.Put(exact); err != nil {
		t.Fatal(err)
	}
	for want := uint64(5); want <= 11; want++ {
		if got := wait(t, done, "after2"); got != want {
			t.Fatalf("after2 got message %d, want %d", got, want)
		}
	}
	first()
	first() // idempotent
	if err := e.Put(other); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, done, "after2"); got != 12 {
		t.Fatalf("after2 got message %d, want 12", got)
	}
	shutdown(t, e)
	var want []string
	for q := 1; q <= 4; q++ {
		want = append(want, fmt.Sprintf("exact %d", q), fmt.Sprintf("generic %d", q), fmt.Sprintf("after1 %d", q), fmt.Sprintf("after2 %d", q))
	}
	want = append(want, "exact 5", "generic 5", "after1 5", "after2 5")
	for q := 6; q <= 11; q++ {
		want = append(want, fmt.Sprintf("after1 %d", q), fmt.Sprintf("after2 %d", q))
	}
	want = append(want, "after2 12")
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(log, want) {
		t.Fatalf("calls:\n%q\nwant\n%q", log, want)
	}
	if s := e.Stats(); s.LoopRestarts != 1 || s.HandlerPanics != 2 {
		t.Fatalf("LoopRestarts %d, HandlerPanics %d: want 1 (the Goexit) and 2 (a handler's, after1's)", s.LoopRestarts, s.HandlerPanics)
	}
}

// TestAfterDeliveryGoexit: an AfterDelivery function that ends the loop's
// goroutine is not called again for that message; the functions after it
// are, and the loop goes on. So do they after the handler of a topic's
// only hook ends it.
func TestAfterDeliveryGoexit(t *testing.T) {
	e := newEngine(t, WithLogger(discardLogger()))
	calls := make(chan string, 16)
	tp := topic.MustParse("After.Goexit")
	if _, err := e.RegisterFunc(tp, func(m event.Message) {
		if m.Seq == 2 {
			runtime.Goexit()
		}
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		if _, err := e.AfterDelivery(func(m event.Message) {
			calls <- fmt.Sprintf("%s %d", name, m.Seq)
			if name == "a" && m.Seq == 1 {
				runtime.Goexit()
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	e.Start()
	for range 2 {
		if err := e.Put(tp); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"a 1", "b 1", "a 2", "b 2"} {
		if got := wait(t, calls, "an AfterDelivery call"); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	shutdown(t, e)
	if s := e.Stats(); s.LoopRestarts != 2 {
		t.Fatalf("LoopRestarts %d, want 2", s.LoopRestarts)
	}
	select {
	case got := <-calls:
		t.Fatalf("one call too many: %q", got)
	default:
	}
}

// TestAfterDeliveryNil: a nil function is refused with ErrNilHandler.
func TestAfterDeliveryNil(t *testing.T) {
	e := newEngine(t)
	if _, err := e.AfterDelivery(nil); !errors.Is(err, event.ErrNilHandler) {
		t.Fatalf("AfterDelivery(nil): %v, want ErrNilHandler", err)
	}
}

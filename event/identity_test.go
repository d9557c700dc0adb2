package event

import (
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
)

// wrapper has a comparable type, but == on two wrappers holding funcs
// panics: its identity depends on the value it holds.
type wrapper struct{ inner Handler }

func (w wrapper) Handle(m Message) { w.inner.Handle(m) }

// valueHandler is comparable by value: equal values are one identity.
type valueHandler struct{ name string }

func (valueHandler) Handle(Message) {}

func TestComparable(t *testing.T) {
	var log []string
	for _, c := range []struct {
		h    Handler
		want bool
	}{
		{nil, false},
		{HandlerFunc(func(Message) {}), false},
		{&named{"a", &log}, true},
		{valueHandler{"v"}, true},
		{wrapper{&named{"a", &log}}, true},
		{wrapper{HandlerFunc(func(Message) {})}, false},
		{wrapper{wrapper{HandlerFunc(func(Message) {})}}, false},
	} {
		if got := Comparable(c.h); got != c.want {
			t.Errorf("Comparable(%T %v) = %v", c.h, c.h, got)
		}
	}
}

// A struct whose interface field holds a func must never reach ==.
func TestNoPanicOnHiddenFunc(t *testing.T) {
	h := NewHook(testTopic)
	w1 := wrapper{HandlerFunc(func(Message) {})}
	w2 := wrapper{HandlerFunc(func(Message) {})}
	id := h.Add(w1)
	if _, _, err := h.AddUnique(w2); !errors.Is(err, ErrNotComparable) {
		t.Fatalf("AddUnique: %v", err)
	}
	if _, err := h.RemoveHandler(w2); !errors.Is(err, ErrNotComparable) {
		t.Fatalf("RemoveHandler: %v", err)
	}
	if h.Contains(w1) || h.Contains(w2) {
		t.Fatal("Contains of a handler without identity")
	}
	if _, ok := h.StatsOf(w1); ok {
		t.Fatal("StatsOf of a handler without identity")
	}
	// A comparable probe of the same type is compared with the entry only
	// if the entry has an identity too.
	var log []string
	if h.Contains(wrapper{&named{"a", &log}}) || !h.Has(id) {
		t.Fatal("comparable probe")
	}
}

func TestValueIdentity(t *testing.T) {
	h := NewHook(testTopic)
	id1, added1, _ := h.AddUnique(valueHandler{"x"})
	id2, added2, _ := h.AddUnique(valueHandler{"x"}) // an equal value: the same handler
	_, added3, _ := h.AddUnique(valueHandler{"y"})
	if !added1 || added2 || id1 != id2 || !added3 || h.Len() != 2 {
		t.Fatalf("value identity: %v %v %v", added1, added2, added3)
	}
	if ok, err := h.RemoveHandler(valueHandler{"x"}); !ok || err != nil || h.Has(id1) {
		t.Fatal("RemoveHandler by an equal value")
	}
}

func TestErrorsAndNil(t *testing.T) {
	h := NewHook(testTopic, nil, WithLogger(nil)) // nil options are ignored
	_, _, err := h.AddUnique(HandlerFunc(func(Message) {}))
	if !errors.Is(err, ErrNotComparable) || !strings.Contains(err.Error(), "Test.Hook") || !strings.Contains(err.Error(), "event.HandlerFunc") {
		t.Fatalf("error lacks context: %v", err)
	}
	if _, _, err := h.AddUnique(nil); !errors.Is(err, ErrNilHandler) {
		t.Fatalf("AddUnique(nil): %v", err)
	}
	if ok, err := h.RemoveHandler(nil); ok || err != nil {
		t.Fatalf("RemoveHandler(nil): %v %v", ok, err)
	}
	if h.AddFunc(nil) != 0 || h.Add(nil) != 0 || h.Len() != 0 || h.Contains(nil) || h.Remove(0) {
		t.Fatal("nil handlers")
	}
	h.Trigger(Message{}) // an empty hook
	if _, ok := h.Stats(12345); ok {
		t.Fatal("Stats of an unknown ID")
	}
	if h.HasStats() || h.Logger() != slog.Default() {
		t.Fatal("nil options changed the hook")
	}
}

// IDs are unique across hooks and goroutines and never 0.
func TestIDsUnique(t *testing.T) {
	var mu sync.Mutex
	seen := map[ID]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			h := NewHook(testTopic)
			for range 1000 {
				id := h.AddFunc(func(Message) {})
				mu.Lock()
				if id == 0 || seen[id] {
					t.Errorf("ID %d repeated or 0", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// Another goroutine removes a later handler and adds one while a trigger is
// inside its first handler: the trigger still calls the removed handler and
// not the added one.
func TestRemovedByAnotherGoroutineDuringTrigger(t *testing.T) {
	h := NewHook(testTopic)
	entered, resume := make(chan struct{}), make(chan struct{})
	var calls []string
	h.AddFunc(func(Message) {
		calls = append(calls, "first")
		close(entered)
		<-resume
	})
	victim := h.AddFunc(func(Message) { calls = append(calls, "victim") })
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Trigger(Message{})
	}()
	<-entered
	if !h.Remove(victim) {
		t.Fatal("Remove")
	}
	h.AddFunc(func(Message) { calls = append(calls, "late") })
	close(resume)
	<-done
	if !slices.Equal(calls, []string{"first", "victim"}) {
		t.Fatalf("trigger under way called %q", calls)
	}
}

func TestTotalsOfPlainHook(t *testing.T) {
	h := NewHook(testTopic)
	h.AddFunc(func(Message) {})
	h.Trigger(Message{})
	if tot := h.Totals(); tot.Calls != 0 || tot.Total != 0 || tot.Panics != 0 || tot.ID != 0 {
		t.Fatalf("plain Totals %+v", tot)
	}
}

// AllStats and Handlers stop when the loop body breaks.
func TestIteratorsStop(t *testing.T) {
	h := NewHook(testTopic, WithStats())
	for range 3 {
		h.AddFunc(func(Message) {})
	}
	n := 0
	for range h.Handlers() {
		n++
		break
	}
	for range h.AllStats() {
		n++
		break
	}
	if n != 2 {
		t.Fatal("iterators did not stop")
	}
}

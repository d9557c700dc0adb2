package event_test

import (
	"fmt"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// A hook calls its handlers in order; each registration has an ID that
// removes exactly it.
func ExampleHook() {
	t := topic.MustParse("Orders.New")
	h := event.NewHook(t)
	h.AddFunc(func(m event.Message) {
		id, _ := event.Kwarg[string](m, "id")
		fmt.Println("audit", id)
	})
	second := h.AddFunc(func(m event.Message) {
		qty, _ := event.Arg[int](m, 0)
		fmt.Println("risk", qty)
	})
	h.Trigger(event.Message{Topic: t, Args: []any{100}, Kwargs: map[string]any{"id": "A-1"}})
	h.Remove(second)
	h.Trigger(event.Message{Topic: t, Args: []any{5}, Kwargs: map[string]any{"id": "A-2"}})
	// Output:
	// audit A-1
	// risk 100
	// audit A-2
}

type printer struct{ prefix string }

func (p *printer) Handle(m event.Message) { fmt.Println(p.prefix, m.Seq) }

// Handlers of a comparable type (here a pointer) have an identity: they can
// be de-duplicated and removed by value.
func ExampleHook_AddUnique() {
	h := event.NewHook(topic.MustParse("Ticks"))
	p := &printer{"tick"}
	_, added, _ := h.AddUnique(p)
	_, again, _ := h.AddUnique(p)
	fmt.Println(added, again, h.Len())
	h.Trigger(event.Message{Seq: 1})
	removed, _ := h.RemoveHandler(p)
	fmt.Println(removed, h.Len())
	// Output:
	// true false 1
	// tick 1
	// true 0
}

// An extended hook counts and times each handler.
func ExampleWithStats() {
	h := event.NewHook(topic.MustParse("Ticks"), event.WithStats())
	id := h.AddFunc(func(event.Message) {})
	for range 3 {
		h.Trigger(event.Message{})
	}
	s, _ := h.Stats(id)
	fmt.Println(s.Calls, s.Panics, s.Total >= 0)
	// Output: 3 0 true
}

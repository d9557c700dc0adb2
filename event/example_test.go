package event_test

import (
	"fmt"
	"log/slog"

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

// String gives a readable, deterministic form of a message.
func ExampleMessage_String() {
	m := event.Message{
		Topic:  topic.MustParse("Market.Data.AAPL"),
		Args:   []any{1, 2.5},
		Kwargs: map[string]any{"symbol": "AAPL", "price": 1.5},
		Seq:    42,
	}
	fmt.Println(m)
	// Output: #42 Market.Data.AAPL args=[1 2.5] kwargs={price:1.5 symbol:AAPL}
}

// Arg and Kwarg read arguments with their type; ok is false for a missing
// argument or another type.
func ExampleArg() {
	m := event.Message{Args: []any{100, "buy"}, Kwargs: map[string]any{"price": 187.5}}
	qty, ok1 := event.Arg[int](m, 0)
	_, ok2 := event.Arg[int](m, 1)  // a string
	_, ok3 := event.Arg[int](m, 10) // out of range: no panic
	price, ok4 := event.Kwarg[float64](m, "price")
	fmt.Println(qty, ok1, ok2, ok3, price, ok4)
	// Output: 100 true false false 187.5 true
}

// A panicking handler is recovered and logged; the others still run.
func ExampleHook_Trigger_panic() {
	h := event.NewHook(topic.MustParse("Orders.New"), event.WithLogger(slog.New(slog.DiscardHandler)))
	h.AddFunc(func(event.Message) { panic("bad handler") })
	h.AddFunc(func(event.Message) { fmt.Println("still called") })
	h.Trigger(event.Message{})
	fmt.Println("panics:", h.Panics())
	// Output:
	// still called
	// panics: 1
}

// Totals keeps counting the calls of handlers removed since.
func ExampleHook_Totals() {
	h := event.NewHook(topic.MustParse("Ticks"), event.WithStats())
	a := h.AddFunc(func(event.Message) {})
	h.AddFunc(func(event.Message) {})
	h.Trigger(event.Message{})
	h.Remove(a)
	h.Trigger(event.Message{})
	for _, s := range h.AllStats() {
		fmt.Println("live handler calls:", s.Calls)
	}
	fmt.Println("total calls:", h.Totals().Calls)
	// Output:
	// live handler calls: 2
	// total calls: 3
}

// AllStats lists every registration with its statistics, for an exporter
// of metrics; Stats.ID tells two registrations of one handler apart.
func ExampleHook_AllStats() {
	h := event.NewHook(topic.MustParse("Orders.New"), event.WithStats(), event.WithLogger(slog.New(slog.DiscardHandler)))
	p := &printer{"order"}
	h.Add(p)
	h.AddFunc(func(event.Message) { panic("rejected") })
	h.Trigger(event.Message{Seq: 1})
	h.Trigger(event.Message{Seq: 2})
	for handler, s := range h.AllStats() {
		fmt.Printf("%T calls=%d panics=%d timed=%v\n", handler, s.Calls, s.Panics, s.Total > 0)
	}
	// Output:
	// order 1
	// order 2
	// *event_test.printer calls=2 panics=0 timed=true
	// event.HandlerFunc calls=2 panics=2 timed=true
}

// A *Hook is itself a Handler, so one hook can feed another: here a tap
// that sees every message of the orders hook.
func ExampleHook_Handle() {
	orders := event.NewHook(topic.MustParse("Orders.New"))
	tap := event.NewHook(topic.MustParse("Orders.New"))
	tap.Add(&printer{"tapped"})
	orders.AddFunc(func(m event.Message) { fmt.Println("order", m.Seq) })
	orders.Add(tap)
	orders.Trigger(event.Message{Seq: 7})
	// Output:
	// order 7
	// tapped 7
}

package event_test

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// Param reads what a wildcard of the delivering hook's topic bound,
// without matching the topics again.
func ExampleMessage_Param() {
	h := event.NewHook(topic.MustParse("Market.{kind}.{symbol}"))
	h.AddFunc(func(m event.Message) {
		fmt.Println(m.Param("kind"), m.Param("symbol"), m.Param("other") == "")
		for name, lit := range m.Params() {
			fmt.Println(name, "=", lit)
		}
		fmt.Println("pattern", m.Pattern())
	})
	h.Trigger(event.Message{Topic: topic.MustParse("Market.Data.AAPL")})
	// Output:
	// Data AAPL true
	// kind = Data
	// symbol = AAPL
	// pattern Market.{kind}.{symbol}
}

// ArgErr says why an argument is not there; a handler that returns the
// error has it logged and counted.
func ExampleArgErr() {
	m := event.Message{Topic: topic.MustParse("Market.Data.AAPL"), Args: []any{187}, Seq: 5}
	_, err := event.ArgErr[float64](m, 0)
	fmt.Println(errors.Is(err, event.ErrType), err)
	_, err = event.ArgErr[float64](m, 1)
	fmt.Println(errors.Is(err, event.ErrMissing), err)
	// Output:
	// true #5 Market.Data.AAPL: argument 0 is a int: wrong type, want float64
	// true #5 Market.Data.AAPL: argument 1: missing argument (the message has 1)
}

type tick struct{ Price float64 }

// Value reads the payload of a message that carries one value, given as a
// value or as a pointer.
func ExampleValue() {
	for _, m := range []event.Message{{Args: []any{tick{1.5}}}, {Args: []any{&tick{2.5}}}, {Args: []any{3.5}}} {
		t, ok := event.Value[tick](m)
		fmt.Println(t.Price, ok)
	}
	// Output:
	// 1.5 true
	// 2.5 true
	// 0 false
}

// A handler that returns an error, counted per registration.
func ExampleHook_AddErrorFunc() {
	h := event.NewHook(topic.MustParse("Orders.New"), event.WithLogger(slog.New(slog.DiscardHandler)))
	id := h.AddErrorFunc(func(m event.Message) error {
		if _, err := event.KwargErr[string](m, "id"); err != nil {
			return err
		}
		return nil
	})
	h.Trigger(event.Message{Kwargs: map[string]any{"id": "A-1"}})
	h.Trigger(event.Message{})
	s, _ := h.Stats(id)
	fmt.Println(s.Errors, h.Errors(), s.Name)
	// Output: 1 1 event_test.ExampleHook_AddErrorFunc.func1
}

// Kw marks keyword arguments at the end of a put; a message built by hand
// takes them as Kwargs.
func ExampleKw() {
	kw := event.Kw{"exchange": "XNAS"}
	m := event.Message{Args: []any{187.5}, Kwargs: kw}
	ex, _ := event.Kwarg[string](m, "exchange")
	fmt.Println(ex)
	// Output: XNAS
}

func onTick(event.Message) {}

// HandlerName is how logs and Stats name a handler registered without a
// name: by its function.
func ExampleHandlerName() {
	fmt.Println(event.HandlerName(onTick))
	fmt.Println(event.HandlerName(event.HandlerFunc(onTick)))
	fmt.Println(event.HandlerName(func(event.Message) {}))
	// Output:
	// event_test.onTick
	// event_test.onTick
	// event_test.ExampleHandlerName.func1
}

// WithSlowHandler warns (at most once a minute per handler) of calls that
// took longer than a threshold, and counts them.
func ExampleWithSlowHandler() {
	h := event.NewHook(topic.MustParse("Jobs"), event.WithSlowHandler(time.Hour), event.WithLogger(slog.New(slog.DiscardHandler)))
	id := h.AddFunc(func(event.Message) {})
	h.Trigger(event.Message{})
	s, _ := h.Stats(id)
	fmt.Println(s.Calls, s.Slow, len(s.Buckets) > 0)
	// Output: 1 0 true
}

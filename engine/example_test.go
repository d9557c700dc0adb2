package engine_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// The quick start: subscribe with a wildcard, publish, shut down gracefully.
func Example() {
	e := engine.MustNew()
	e.RegisterFunc(topic.MustParse("Market.Data.{symbol}"), func(m event.Message) {
		price, _ := event.Arg[float64](m, 0)
		fmt.Println(m.Seq, m.Topic, price)
	})
	e.Start()
	e.Put(topic.MustParse("Market.Data.AAPL"), 187.5)
	e.Put(topic.MustParse("Market.Data.MSFT"), 411.25)
	e.Shutdown(context.Background()) // delivers everything accepted, then stops
	// Output:
	// 1 Market.Data.AAPL 187.5
	// 2 Market.Data.MSFT 411.25
}

// Keyword arguments go through Publish.
func ExampleEngine_Publish() {
	e := engine.MustNew()
	e.RegisterFunc(topic.MustParse("Orders.(New|Cancel)"), func(m event.Message) {
		id, _ := event.Kwarg[string](m, "id")
		fmt.Println(m.Topic, id)
	})
	e.Start()
	e.Publish(context.Background(), topic.MustParse("Orders.New"), nil, map[string]any{"id": "A-1"})
	e.Shutdown(context.Background())
	// Output: Orders.New A-1
}

// Pulling messages with Get instead of running the loop.
func ExampleEngine_TryGet() {
	e := engine.MustNew(engine.WithCapacity(2))
	t := topic.MustParse("Jobs.Build")
	fmt.Println(e.TryPut(t, "a"), e.TryPut(t, "b"))
	fmt.Println(errors.Is(e.TryPut(t, "c"), engine.ErrFull))
	for {
		m, err := e.TryGet()
		if errors.Is(err, engine.ErrEmpty) {
			break
		}
		fmt.Println(m.Seq, m.Args[0])
	}
	// Output:
	// <nil> <nil>
	// true
	// 1 a
	// 2 b
}

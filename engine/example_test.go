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

// A handler's put never waits for its own loop: on a full queue the
// message becomes a follow-up, delivered after every message accepted
// before it with the next sequence id, and Shutdown delivers follow-ups
// published while it drains.
func ExampleEngine_Put_followUps() {
	e := engine.MustNew(engine.WithCapacity(1))
	order, fill := topic.MustParse("Order.New"), topic.MustParse("Order.Fill")
	e.RegisterFunc(order, func(m event.Message) {
		for i := range 3 { // the queue holds one message: these are follow-ups
			e.Put(fill, i)
		}
	})
	e.RegisterFunc(fill, func(m event.Message) {
		i, _ := event.Arg[int](m, 0)
		fmt.Println(m.Seq, m.Topic, i)
	})
	e.Start()
	e.Put(order)
	e.Shutdown(context.Background())
	fmt.Println("follow-ups kept beside the queue:", e.Stats().FollowUps)
	// Output:
	// 2 Order.Fill 0
	// 3 Order.Fill 1
	// 4 Order.Fill 2
	// follow-ups kept beside the queue: 3
}

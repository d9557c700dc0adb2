package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// Tick is a user's payload type: it travels as it is, with no []any.
type Tick struct {
	Price float64
	Size  int
}

// The quick start: a typed subscription that reads the symbol its wildcard
// bound, a handler that checks its argument and reads a keyword argument,
// and a graceful shutdown.
func Example() {
	e := engine.MustNew()
	ticks, err := engine.SubscribeValue(e, "Market.Data.{symbol}", func(m event.Message, t Tick) {
		fmt.Println(m.Seq, m.Param("symbol"), t.Price, t.Size)
	})
	if err != nil {
		panic(err) // a pattern that does not parse
	}
	e.SubscribeErr("Orders.{side}", func(m event.Message) error {
		qty, err := event.ArgErr[int](m, 0) // says why if it is missing or not an int
		if err != nil {
			return err // logged and counted for this subscription
		}
		venue, _ := event.Kwarg[string](m, "venue")
		fmt.Println(m.Seq, m.Param("side"), qty, venue)
		return nil
	})
	e.Start()
	engine.PublishValue(e, "Market.Data.AAPL", Tick{Price: 187.5, Size: 100})
	engine.PublishValue(e, "Market.Data.MSFT", Tick{Price: 411.25, Size: 50})
	e.Send("Orders.Buy", 100, event.Kw{"venue": "XNAS"})
	e.Shutdown(context.Background()) // delivers everything accepted, then stops
	ticks.Unsubscribe()
	// Output:
	// 1 AAPL 187.5 100
	// 2 MSFT 411.25 50
	// 3 Buy 100 XNAS
}

// exampleLogger writes log records to standard output without their time,
// and the handler's ID (IDs are unique in the process, so they depend on
// what ran before), so that the examples can show them.
func exampleLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if (a.Key == slog.TimeKey || a.Key == "handler_id") && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// Subscribe takes the pattern as a string and returns a handle;
// Unsubscribe ends it, also from inside its own handler.
func ExampleEngine_Subscribe() {
	e := engine.MustNew()
	var sub *engine.Subscription
	sub, _ = e.Subscribe("Jobs.{id}", func(m event.Message) {
		fmt.Println("job", m.Param("id"))
		if m.Param("id") == "2" {
			sub.Unsubscribe() // the next message no longer reaches it
		}
	})
	e.Start()
	for _, id := range []string{"1", "2", "3"} {
		e.Send("Jobs." + id)
	}
	e.Shutdown(context.Background())
	fmt.Println(sub)
	// Output:
	// job 1
	// job 2
	// subscription engine_test.ExampleEngine_Subscribe.func1 to Jobs.{id} (unsubscribed)
}

// A pattern that does not parse is an error that says where, never a
// panic.
func ExampleEngine_Subscribe_badPattern() {
	e := engine.MustNew()
	_, err := e.Subscribe("Market..Data", func(event.Message) {})
	var te *topic.Error
	fmt.Println(errors.As(err, &te))
	fmt.Println(err)
	// Output:
	// true
	// subscribe: topic "Market..Data": empty part at offset 7
}

// Send is Put for a topic given as a string; an event.Kw as the last
// argument holds keyword arguments. A plain map among the positional
// arguments is refused: it is almost always a forgotten event.Kw.
func ExampleEngine_Send() {
	e := engine.MustNew()
	e.Subscribe("Orders.New", func(m event.Message) {
		qty, _ := event.Arg[int](m, 0)
		id, _ := event.Kwarg[string](m, "id")
		fmt.Println(qty, id)
	})
	e.Start()
	e.Send("Orders.New", 100, event.Kw{"id": "A-1"})
	err := e.Send("Orders.New", 200, map[string]any{"id": "A-2"})
	e.Shutdown(context.Background())
	fmt.Println(errors.Is(err, engine.ErrMapArg))
	// Output:
	// 100 A-1
	// true
}

// Put with an event.Kw as its last argument: keyword arguments with
// neither a context nor slices.
func ExampleEngine_Put_keywords() {
	e := engine.MustNew()
	e.Subscribe("Orders.New", func(m event.Message) { fmt.Println(m) })
	e.Start()
	e.Put(topic.MustParse("Orders.New"), 187.5, 100, event.Kw{"exchange": "XNAS"})
	e.Shutdown(context.Background())
	// Output: #1 Orders.New args=[187.5 100] kwargs={exchange:XNAS}
}

// PublishValue and SubscribeValue carry a user's type without boxing; a
// message that carries another type is an error, logged and counted for
// the subscription, never a zero value.
func ExampleSubscribeValue() {
	e := engine.MustNew(engine.WithLogger(slog.New(slog.DiscardHandler)))
	sub, _ := engine.SubscribeValue(e, "Market.Data.{symbol}", func(m event.Message, t *Tick) {
		fmt.Println(m.Param("symbol"), t.Price)
	})
	e.Start()
	engine.PublishValue(e, "Market.Data.AAPL", &Tick{Price: 187.5})
	e.Put(topic.MustParse("Market.Data.MSFT"), 411) // an int, not a *Tick
	e.Shutdown(context.Background())
	fmt.Println("errors:", sub.Stats().Errors)
	// Output:
	// AAPL 187.5
	// errors: 1
}

// A handler that returns an error: the engine logs it with the handler's
// name and counts it, as it does a panic. event.ArgErr turns a missing or
// mistyped argument into such an error.
func ExampleEngine_SubscribeErr() {
	e := engine.MustNew(engine.WithLogger(exampleLogger()))
	sub, _ := e.SubscribeErr("Market.Data.{symbol}", func(m event.Message) error {
		price, err := event.ArgErr[float64](m, 0)
		if err != nil {
			return err
		}
		fmt.Println(m.Param("symbol"), price)
		return nil
	}, engine.WithName("pricer"))
	e.Start()
	e.Send("Market.Data.AAPL", 187.5)
	e.Send("Market.Data.MSFT", 411) // an int: not a silent 0
	e.Shutdown(context.Background())
	fmt.Println("errors:", sub.Stats().Errors, e.Stats().HandlerErrors)
	// Output:
	// AAPL 187.5
	// level=ERROR msg="eventengine: handler failed" topic=Market.Data.MSFT hook=Market.Data.{symbol} seq=2 handler=pricer error="#2 Market.Data.MSFT: argument 0 is a int: wrong type, want float64"
	// errors: 1 1
}

// A handler that gets a context: it ends when the engine stops, so a
// handler that waits gives up then and Stop does not hang.
func ExampleEngine_SubscribeContext() {
	e := engine.MustNew()
	started := make(chan struct{})
	e.SubscribeContext("Jobs.Slow", func(ctx context.Context, m event.Message) error {
		close(started)
		select {
		case <-time.After(time.Hour):
		case <-ctx.Done():
			fmt.Println("stopped:", ctx.Err())
		}
		return nil
	})
	e.Start()
	e.Send("Jobs.Slow")
	<-started
	e.Stop()
	// Output: stopped: context canceled
}

// Middleware wraps every subscription's handler: here timing and logging.
// The first given is outermost.
func ExampleWithMiddleware() {
	logCalls := func(s *engine.Subscription, next engine.HandleFunc) engine.HandleFunc {
		return func(ctx context.Context, m event.Message) error {
			err := next(ctx, m)
			fmt.Printf("%s on %s: err=%v\n", s.Name(), m.Topic, err)
			return err
		}
	}
	e := engine.MustNew(engine.WithMiddleware(logCalls, engine.Recover), engine.WithLogger(slog.New(slog.DiscardHandler)))
	e.Subscribe("Orders.New", func(event.Message) {}, engine.WithName("audit"))
	e.Subscribe("Orders.New", func(event.Message) { panic("bad order") }, engine.WithName("risk"))
	e.Start()
	e.Send("Orders.New")
	e.Shutdown(context.Background())
	// Output:
	// audit on Orders.New: err=<nil>
	// risk on Orders.New: err=handler panicked: bad order
}

// UnregisterID removes a registration by its ID alone.
func ExampleEngine_UnregisterID() {
	e := engine.MustNew()
	id, _ := e.RegisterFunc(topic.MustParse("Market.Data.{symbol}"), func(event.Message) {})
	fmt.Println(e.Len(), e.UnregisterID(id), e.Len())
	// Output: 1 <nil> 0
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

// The reference's shape: RegisterFunc with a parsed topic and Put.
func ExampleEngine_RegisterFunc() {
	e := engine.MustNew()
	e.RegisterFunc(topic.MustParse("Market.Data.{symbol}"), func(m event.Message) {
		price, ok := event.Arg[float64](m, 0) // ok is false for a missing or mistyped argument
		fmt.Println(m.Seq, m.Topic, price, ok)
	})
	e.Start()
	e.Put(topic.MustParse("Market.Data.AAPL"), 187.5)
	e.Put(topic.MustParse("Market.Data.MSFT"), 411)
	e.Shutdown(context.Background())
	// Output:
	// 1 Market.Data.AAPL 187.5 true
	// 2 Market.Data.MSFT 0 false
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

// String summarises an engine; Hook finds the hook of a topic.
func ExampleEngine_String() {
	e := engine.MustNew(engine.WithCapacity(16))
	e.Subscribe("Market.Data.{symbol}", func(event.Message) {})
	e.Subscribe("Market.Data.{symbol}", func(event.Message) {})
	e.Send("Market.Data.AAPL")
	fmt.Println(e)
	h, _ := e.Hook(topic.MustParse("Market.Data.{symbol}"))
	fmt.Println(h)
	// Output:
	// engine stopped: 1/16 queued, 1 hook (0 exact, 1 generic), 0 timers
	// hook Market.Data.{symbol} (2 handlers)
}

// With handler statistics, a subscription's Stats has its calls, the
// time of its last call, its longest call and a latency histogram;
// WithSlowHandler also warns of slow calls.
func ExampleSubscription_Stats() {
	e := engine.MustNew(engine.WithSlowHandler(time.Hour))
	sub, _ := e.Subscribe("Jobs.{id}", func(event.Message) {}, engine.WithName("jobs"))
	e.Start()
	for range 3 {
		e.Send("Jobs.1")
	}
	e.Shutdown(context.Background())
	s := sub.Stats()
	var inHistogram uint64
	for _, b := range s.Buckets {
		inHistogram += b.Count
	}
	fmt.Println(s.Name, s.Calls, inHistogram, s.Slow, s.Max > 0, !s.LastEnd.Before(s.LastStart))
	// Output: jobs 3 3 0 true true
}

// PublishValue takes the topic as text or as a topic.Topic.
func ExamplePublishValue() {
	e := engine.MustNew()
	engine.SubscribeValue(e, "Fills.{venue}", func(m event.Message, qty int) {
		fmt.Println(m.Param("venue"), qty)
	})
	e.Start()
	engine.PublishValue(e, "Fills.XNAS", 100)
	engine.PublishValue(e, topic.MustParse("Fills.XLON"), 200)
	err := engine.PublishValue(e, "Fills.{venue}", 300) // only exact topics are published
	e.Shutdown(context.Background())
	fmt.Println(errors.Is(err, engine.ErrNotExact))
	// Output:
	// XNAS 100
	// XLON 200
	// true
}

// SubscribeTopic takes a parsed topic.Topic, for a pattern the program
// already holds.
func ExampleEngine_SubscribeTopic() {
	e := engine.MustNew()
	orders := topic.MustParse("Orders.(New|Cancel)")
	e.SubscribeTopic(orders, func(m event.Message) { fmt.Println(m.Topic) })
	e.Start()
	e.Send("Orders.Cancel")
	e.Shutdown(context.Background())
	// Output: Orders.Cancel
}

// A put that gave up because its context ended is also ErrFull, as the
// reference's single Full: one check covers the non-blocking and the
// timed-out put.
func ExampleEngine_SendContext() {
	e := engine.MustNew(engine.WithCapacity(1))
	e.Send("Jobs.Build") // the queue is now full, and nothing delivers
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	err := e.SendContext(ctx, "Jobs.Build")
	fmt.Println(errors.Is(err, engine.ErrFull), errors.Is(err, context.DeadlineExceeded))
	fmt.Println(errors.Is(e.TrySend("Jobs.Build"), engine.ErrFull))
	// Output:
	// true true
	// true
}

// A subscription to > taps every message, as a recorder or a bridge
// does; m.Rest reads what > covered.
func ExampleEngine_Subscribe_tapAll() {
	e := engine.MustNew()
	e.Subscribe(">", func(m event.Message) { fmt.Println("tap", m.Topic) })
	e.Subscribe("Market.>", func(m event.Message) {
		rest, _ := m.Rest()
		fmt.Println("market", rest)
	})
	e.Start()
	e.Send("Market.Data.AAPL")
	e.Send("Orders.New")
	e.Shutdown(context.Background())
	// Output:
	// tap Market.Data.AAPL
	// market Data.AAPL
	// tap Orders.New
}

// TypedOf names the payload type once for both sides: a value or a
// handler of another type does not compile.
func ExampleTypedOf() {
	e := engine.MustNew()
	ticks := engine.TypedOf[Tick](e)
	ticks.Subscribe("Market.Data.{symbol}", func(m event.Message, t Tick) {
		fmt.Println(m.Param("symbol"), t.Price)
	})
	e.Start()
	ticks.Publish("Market.Data.AAPL", Tick{Price: 187.5})
	// ticks.Publish("Market.Data.AAPL", 187.5) would not compile.
	e.Shutdown(context.Background())
	// Output: AAPL 187.5
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

// Acknowledging a message once every handler is done with it, as the NATS
// bridge acks a JetStream message: the function runs after all of the
// message's hooks, whenever their handlers were registered, and after a
// handler that panicked.
func ExampleEngine_AfterDelivery() {
	e := engine.MustNew(engine.WithLogger(slog.New(slog.DiscardHandler)))
	remove, err := e.AfterDelivery(func(m event.Message) {
		fmt.Println("done with", m.Seq, m.Topic)
	})
	if err != nil {
		panic(err)
	}
	defer remove()
	e.Subscribe("Orders.{side}", func(m event.Message) { fmt.Println("wildcard", m.Seq) })
	e.Subscribe("Orders.Buy", func(m event.Message) {
		fmt.Println("exact", m.Seq)
		if m.Seq == 2 {
			panic("a failing handler")
		}
	})
	e.Start()
	e.Send("Orders.Buy")
	e.Send("Orders.Buy")
	e.Shutdown(context.Background())
	// Output:
	// exact 1
	// wildcard 1
	// done with 1 Orders.Buy
	// exact 2
	// wildcard 2
	// done with 2 Orders.Buy
}

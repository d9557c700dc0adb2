package natsbridge_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/natsbridge"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
	"github.com/eventengine/eventengine/topic"
)

// A feed engine and a strategy engine, bridged through an embedded server
// (in a real deployment: two processes and a URL such as
// nats://127.0.0.1:4222).
func Example() {
	ctx := context.Background()
	srv, err := natsserver.Start(natsserver.Options{}) // in-process, no listener
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown()
	quiet := natsbridge.WithLogger(slog.New(slog.DiscardHandler))

	strategy := engine.MustNew()
	done := make(chan struct{})
	strategy.RegisterFunc(topic.MustParse("Market.Data.{symbol}"), func(m event.Message) {
		price, _ := event.Arg[float64](m, 0)
		size, _ := event.Arg[int64](m, 1)
		fmt.Println(m.Topic, price, size)
		if m.Topic.String() == "Market.Data.MSFT" {
			close(done)
		}
	})
	strategy.Start()
	sb, err := natsbridge.StartStrategy(ctx, strategy, "embedded", []topic.Topic{topic.MustParse("Market.Data.{symbol}")},
		natsbridge.InProcess(srv), quiet)
	if err != nil {
		panic(err)
	}

	feed := engine.MustNew()
	feed.Start()
	fb, err := natsbridge.StartFeed(ctx, feed, "embedded", []topic.Topic{topic.MustParse("Market.>")},
		natsbridge.InProcess(srv), quiet)
	if err != nil {
		panic(err)
	}
	feed.Put(topic.MustParse("Market.Data.AAPL"), 187.5, int64(100))
	feed.Put(topic.MustParse("Market.Data.MSFT"), 411.25, int64(20))
	<-done

	fb.Shutdown(ctx) // shuts the feed engine down too, after exporting everything
	sb.Shutdown(ctx)
	fmt.Printf("sent %d, received %d, lost %d\n", fb.Summary().Sent, sb.Summary().Received, sb.Summary().Lost)
	// Output:
	// Market.Data.AAPL 187.5 100
	// Market.Data.MSFT 411.25 20
	// sent 2, received 2, lost 0
}

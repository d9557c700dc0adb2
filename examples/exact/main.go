// Command exact subscribes to one exact topic and publishes to it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	e := engine.MustNew()
	aapl := topic.MustParse("Market.Data.AAPL")
	if _, err := e.RegisterFunc(aapl, func(m event.Message) {
		price, _ := event.Arg[float64](m, 0)
		fmt.Fprintf(w, "#%d %s %.2f\n", m.Seq, m.Topic, price)
	}); err != nil {
		return err
	}
	e.Start()
	for _, p := range []float64{187.5, 187.75, 188} {
		if err := e.Put(aapl, p); err != nil {
			return err
		}
	}
	return e.Shutdown(context.Background())
}

// Command wildcard shows the generic topic forms: a named wildcard whose
// bound value the handler reads, a range and a regular expression.
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
	perSymbol := topic.MustParse("Market.{kind}.{symbol}")
	subs := map[string]func(event.Message){
		"Market.{kind}.{symbol}": func(m event.Message) {
			v := perSymbol.Match(m.Topic).Values()
			fmt.Fprintf(w, "wildcard  %-22s kind=%s symbol=%s\n", m.Topic, v["kind"], v["symbol"])
		},
		"Market.(Equity|Futures).Trade": func(m event.Message) {
			fmt.Fprintf(w, "range     %s\n", m.Topic)
		},
		`Market.Data./^[A-Z]{4}$/`: func(m event.Message) {
			fmt.Fprintf(w, "pattern   %s\n", m.Topic)
		},
	}
	// Register in a fixed order: generic hooks are called in registration order.
	for _, s := range []string{"Market.{kind}.{symbol}", "Market.(Equity|Futures).Trade", `Market.Data./^[A-Z]{4}$/`} {
		if _, err := e.RegisterFunc(topic.MustParse(s), subs[s]); err != nil {
			return err
		}
	}
	e.Start()
	for _, s := range []string{"Market.Data.AAPL", "Market.Data.IBM", "Market.Equity.Trade", "Market.Bonds.Trade"} {
		if err := e.Put(topic.MustParse(s)); err != nil {
			return err
		}
	}
	return e.Shutdown(context.Background())
}

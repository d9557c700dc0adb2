package prommetrics_test

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/prommetrics"
	"github.com/eventengine/eventengine/topic"
)

// BenchmarkGather measures one scrape's collection (without the HTTP
// encoding) of an engine with 100 exact hooks of two handlers each: the
// cost is paid by the scraper's goroutine, not by the engine's loop.
func BenchmarkGather(b *testing.B) {
	e := engine.MustNew(engine.WithHandlerStats())
	for i := range 100 {
		tp := topic.MustParse(fmt.Sprintf("Market.Data.S%d", i))
		for range 2 {
			if _, err := e.RegisterHandler(tp, event.HandlerFunc(quotes)); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, c := range []struct {
		name string
		opts []prommetrics.Option
	}{{"engine", nil}, {"hooks+handlers", []prommetrics.Option{prommetrics.WithHooks(), prommetrics.WithHandlers()}}} {
		b.Run(c.name, func(b *testing.B) {
			reg := prometheus.NewRegistry()
			reg.MustRegister(prommetrics.NewCollector(e, c.opts...))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := reg.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

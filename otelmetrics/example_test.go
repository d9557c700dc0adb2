package otelmetrics_test

import (
	"context"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/otelmetrics"
	"github.com/eventengine/eventengine/topic"
)

// Register an engine with a meter; any SDK reader then collects its
// statistics (here the SDK's manual reader, in an application a periodic
// reader with an exporter).
func Example() {
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(context.Background())

	e := engine.MustNew()
	reg, err := otelmetrics.Register(provider.Meter("eventengine"), e)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer reg.Unregister()
	e.Put(topic.MustParse("Market.Data.AAPL"), 187.5)

	var rm metricdata.ResourceMetrics
	reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name == "eventengine.messages.accepted" {
			fmt.Println(m.Name, m.Data.(metricdata.Sum[int64]).DataPoints[0].Value)
		}
	}
	// Output:
	// eventengine.messages.accepted 1
}

package prommetrics_test

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/prommetrics"
	"github.com/eventengine/eventengine/topic"
)

// Register an engine's collector; promhttp.HandlerFor(reg, ...) then serves
// it on /metrics. Each scrape reads the engine's statistics at that moment.
func Example() {
	e := engine.MustNew(engine.WithCapacity(16))
	reg := prometheus.NewRegistry()
	reg.MustRegister(prommetrics.NewCollector(e, prommetrics.WithLabels(prometheus.Labels{"engine": "quotes"})))

	e.Put(topic.MustParse("Market.Data.AAPL"), 187.5)
	n, err := testutil.GatherAndCount(reg, "eventengine_messages_accepted_total", "eventengine_queue_depth")
	fmt.Println(n, err)
	// Output:
	// 2 <nil>
}

// Add a bridge's series: the read function converts the bridge's own
// statistics (natsbridge.Stats, say) at every scrape, so that prommetrics
// does not depend on the bridge's module.
func ExampleWithBridge() {
	e := engine.MustNew(engine.WithCapacity(16))
	var sent uint64 = 42 // a bridge's counter
	read := func() prommetrics.BridgeStats {
		return prommetrics.BridgeStats{Sent: sent, Dropped: map[string]uint64{"encode": 1}}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(prommetrics.NewCollector(e, prommetrics.WithBridge("feed", read)))
	n, err := testutil.GatherAndCount(reg, "eventengine_bridge_sent_total", "eventengine_bridge_dropped_total")
	fmt.Println(n, err)
	// Output:
	// 2 <nil>
}

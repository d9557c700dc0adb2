package prommetrics

import (
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// BridgeStats are the counters of a bridge that connects an engine to
// another system (such as natsbridge.Bridge), as the collector reads them at
// scrape time through the function given to [WithBridge]. The collector
// does not import the bridge's package: a program converts the bridge's own
// snapshot (natsbridge.Stats) into this one, field by field.
//
// Every field but PendingAcks is a counter that only grows while the
// bridge lives.
type BridgeStats struct {
	Sent          uint64 // messages exported (taken by the connection, or acknowledged by a durable stream)
	Received      uint64 // messages imported: put on the local engine
	PublishErrors uint64 // publishes that failed for good
	Retries       uint64 // publishes made again after a failure, a disconnection or an ack timeout
	Gaps          uint64 // messages missing from the senders' sequences
	Duplicates    uint64 // received copies of a message already received, dropped
	Reordered     uint64 // messages received after a later one of the same sender
	Reconnects    uint64 // reconnections of the bridge's connection
	Disconnects   uint64 // disconnections of the bridge's connection
	PendingAcks   int    // publishes waiting for their acknowledgement now (a gauge)
	// Dropped counts dropped messages by reason ("encode", "slow_consumer",
	// ...): each reason is a series of eventengine_bridge_dropped_total.
	Dropped map[string]uint64
}

// WithBridge adds the series of a bridge, labelled bridge=name (so that a
// process with several bridges, or several registries, tells them apart);
// read is called at every scrape and must be safe for concurrent use.
// Give WithBridge once per bridge, each with its own name.
//
//	eventengine_bridge_sent_total, eventengine_bridge_received_total,
//	eventengine_bridge_dropped_total (label reason), eventengine_bridge_gaps_total,
//	eventengine_bridge_duplicates_total, eventengine_bridge_reordered_total,
//	eventengine_bridge_publish_errors_total, eventengine_bridge_publish_retries_total,
//	eventengine_bridge_reconnects_total, eventengine_bridge_disconnects_total,
//	eventengine_bridge_pending_acks (a gauge)
func WithBridge(name string, read func() BridgeStats) Option {
	return func(c *config) {
		if read != nil {
			c.bridges = append(c.bridges, bridgeSource{name, read})
		}
	}
}

type bridgeSource struct {
	name string
	read func() BridgeStats
}

// bridgeMetric is one of a bridge's series without labels beyond bridge.
type bridgeMetric struct {
	name, help string
	gauge      bool
	value      func(*BridgeStats) float64
}

var bridgeMetrics = []bridgeMetric{
	{"sent_total", "Messages the bridge exported.", false, func(s *BridgeStats) float64 { return float64(s.Sent) }},
	{"received_total", "Messages the bridge imported (put on the local engine).", false, func(s *BridgeStats) float64 { return float64(s.Received) }},
	{"gaps_total", "Messages missing from the senders' sequences (lost, or not received yet).", false, func(s *BridgeStats) float64 { return float64(s.Gaps) }},
	{"duplicates_total", "Received copies of a message already received, dropped.", false, func(s *BridgeStats) float64 { return float64(s.Duplicates) }},
	{"reordered_total", "Messages received after a later message of the same sender.", false, func(s *BridgeStats) float64 { return float64(s.Reordered) }},
	{"publish_errors_total", "Publishes that failed for good.", false, func(s *BridgeStats) float64 { return float64(s.PublishErrors) }},
	{"publish_retries_total", "Publishes made again after a failure, a disconnection or an ack timeout.", false, func(s *BridgeStats) float64 { return float64(s.Retries) }},
	{"reconnects_total", "Reconnections of the bridge's connection.", false, func(s *BridgeStats) float64 { return float64(s.Reconnects) }},
	{"disconnects_total", "Disconnections of the bridge's connection.", false, func(s *BridgeStats) float64 { return float64(s.Disconnects) }},
	{"pending_acks", "Publishes waiting for their acknowledgement now.", true, func(s *BridgeStats) float64 { return float64(s.PendingAcks) }},
}

// bridgeDescs are the descriptors of the bridge series.
type bridgeDescs struct {
	metrics []*prometheus.Desc // one per bridgeMetrics
	dropped *prometheus.Desc
}

func newBridgeDescs(l prometheus.Labels) bridgeDescs {
	var d bridgeDescs
	for _, m := range bridgeMetrics {
		d.metrics = append(d.metrics, prometheus.NewDesc("eventengine_bridge_"+m.name, m.help, []string{"bridge"}, l))
	}
	d.dropped = prometheus.NewDesc("eventengine_bridge_dropped_total", "Messages the bridge dropped, by reason.", []string{"bridge", "reason"}, l)
	return d
}

func (d bridgeDescs) describe(ch chan<- *prometheus.Desc) {
	for _, x := range d.metrics {
		ch <- x
	}
	ch <- d.dropped
}

func (d bridgeDescs) collect(ch chan<- prometheus.Metric, src []bridgeSource) {
	for _, b := range src {
		s := b.read()
		for i, m := range bridgeMetrics {
			t := prometheus.CounterValue
			if m.gauge {
				t = prometheus.GaugeValue
			}
			ch <- prometheus.MustNewConstMetric(d.metrics[i], t, m.value(&s), b.name)
		}
		for _, reason := range slices.Sorted(maps.Keys(s.Dropped)) {
			ch <- prometheus.MustNewConstMetric(d.dropped, prometheus.CounterValue, float64(s.Dropped[reason]), b.name, reason)
		}
	}
}

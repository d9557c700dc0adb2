package prommetrics_test

import (
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/eventengine/eventengine/prommetrics"
)

// TestBridge scrapes the series of two bridges: each labelled with its
// name, a dropped series per reason, values read at scrape time, and the
// registry's consistency checks (testutil.CollectAndLint) pass.
func TestBridge(t *testing.T) {
	e := newEngine(t, 1)
	var sent atomic.Uint64
	sent.Store(7)
	feed := func() prommetrics.BridgeStats {
		return prommetrics.BridgeStats{Sent: sent.Load(), PublishErrors: 1, Retries: 2, PendingAcks: 3, Reconnects: 4, Disconnects: 5,
			Dropped: map[string]uint64{"encode": 6, "closed": 0}}
	}
	strategy := func() prommetrics.BridgeStats {
		return prommetrics.BridgeStats{Received: 9, Gaps: 10, Duplicates: 11, Reordered: 12, Dropped: map[string]uint64{"slow_consumer": 13}}
	}
	c := prommetrics.NewCollector(e, prommetrics.WithBridge("feed", feed), prommetrics.WithBridge("strategy", strategy), prommetrics.WithBridge("none", nil))
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	fams := scrape(t, reg)
	for _, w := range []struct {
		name, bridge string
		labels       []string
		want         float64
	}{
		{"eventengine_bridge_sent_total", "feed", nil, 7},
		{"eventengine_bridge_publish_errors_total", "feed", nil, 1},
		{"eventengine_bridge_publish_retries_total", "feed", nil, 2},
		{"eventengine_bridge_pending_acks", "feed", nil, 3},
		{"eventengine_bridge_reconnects_total", "feed", nil, 4},
		{"eventengine_bridge_disconnects_total", "feed", nil, 5},
		{"eventengine_bridge_dropped_total", "feed", []string{"reason", "encode"}, 6},
		{"eventengine_bridge_dropped_total", "feed", []string{"reason", "closed"}, 0},
		{"eventengine_bridge_received_total", "feed", nil, 0},
		{"eventengine_bridge_received_total", "strategy", nil, 9},
		{"eventengine_bridge_gaps_total", "strategy", nil, 10},
		{"eventengine_bridge_duplicates_total", "strategy", nil, 11},
		{"eventengine_bridge_reordered_total", "strategy", nil, 12},
		{"eventengine_bridge_dropped_total", "strategy", []string{"reason", "slow_consumer"}, 13},
		{"eventengine_bridge_sent_total", "strategy", nil, 0},
	} {
		if got := value(t, fams, w.name, append([]string{"bridge", w.bridge}, w.labels...)...); got != w.want {
			t.Errorf("%s{bridge=%s %v} = %v, want %v", w.name, w.bridge, w.labels, got, w.want)
		}
	}
	if n := len(fams["eventengine_bridge_sent_total"].GetMetric()); n != 2 {
		t.Errorf("%d bridges' series, want 2 (a nil read function adds none)", n)
	}
	if got := fams["eventengine_bridge_pending_acks"].GetType().String(); got != "GAUGE" {
		t.Errorf("pending acks is a %s", got)
	}
	// Read at scrape time, not when the collector was made.
	sent.Store(8)
	if got := value(t, scrape(t, reg), "eventengine_bridge_sent_total", "bridge", "feed"); got != 8 {
		t.Errorf("second scrape: sent %v, want 8", got)
	}
	if probs, err := testutil.CollectAndLint(c); err != nil || len(probs) > 0 {
		t.Errorf("lint: %v %v", err, probs)
	}
	// Without WithBridge, no bridge series.
	reg2 := prometheus.NewRegistry()
	reg2.MustRegister(prommetrics.NewCollector(e))
	if _, ok := scrape(t, reg2)["eventengine_bridge_sent_total"]; ok {
		t.Error("bridge series without a bridge")
	}
}

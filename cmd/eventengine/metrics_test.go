package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// client makes no keep-alive connections, so that no connection goroutine
// outlives a test (leakcheck).
var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func get(url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return b, err
}

// scrapeMetrics scrapes addr's /metrics and parses it with Prometheus's
// text parser into values by "name{label=value,...}" (labels in the order
// of the exposition, sorted by name).
func scrapeMetrics(addr string) (map[string]float64, error) {
	b, err := get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("parsing /metrics: %w", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			key := name
			if len(ls) > 0 {
				key += "{" + strings.Join(ls, ",") + "}"
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key] = m.GetGauge().GetValue()
			case dto.MetricType_SUMMARY:
				out[key+"_count"] = float64(m.GetSummary().GetSampleCount())
			case dto.MetricType_HISTOGRAM:
				out[key+"_count"] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out, nil
}

// TestDemoMetrics runs the demo with --metrics-addr on a free loopback
// port, scrapes /metrics and /debug/vars while it runs and once more after
// its shutdown (the server still up), and checks that the last scrape
// agrees with the demo's summary.
func TestDemoMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var during, after map[string]float64
	var duringErr, afterErr error
	var vars []byte
	scraped := make(chan struct{})
	cfg := demoConfig{duration: time.Minute, rate: 20000, symbols: 6, capacity: 256, seed: 1, metricsAddr: "127.0.0.1:0",
		serving: func(addr string) {
			go func() { // the run goes on while this scrapes, and ends when it is done
				defer close(scraped)
				defer cancel()
				during, duringErr = scrapeMetrics(addr)
			}()
		},
		finished: func(addr string) {
			if after, afterErr = scrapeMetrics(addr); afterErr == nil {
				vars, afterErr = get("http://" + addr + "/debug/vars")
			}
		},
	}
	s, err := demo(ctx, cfg, io.Discard, false)
	<-scraped
	if err != nil || duringErr != nil || afterErr != nil {
		t.Fatalf("demo: %v; scrape during the run: %v; after: %v", err, duringErr, afterErr)
	}
	if during["eventengine_queue_capacity"] != 256 || during["eventengine_loop_running"] != 1 ||
		during["eventengine_messages_accepted_total"] > float64(s.Accepted) {
		t.Errorf("scrape during the run: capacity %v, running %v, accepted %v (summary %d)", during["eventengine_queue_capacity"],
			during["eventengine_loop_running"], during["eventengine_messages_accepted_total"], s.Accepted)
	}
	for name, want := range map[string]float64{
		"eventengine_messages_accepted_total":  float64(s.Accepted),
		"eventengine_messages_delivered_total": float64(s.Delivered),
		"eventengine_queue_capacity":           float64(s.Capacity),
		"eventengine_queue_depth":              0,
		"eventengine_panics_total":             float64(s.Panics),
		"eventengine_loop_running":             0,
		"eventengine_timers":                   1,
	} {
		if got, ok := after[name]; !ok || got != want {
			t.Errorf("%s = %v (present %v), summary says %v", name, got, ok, want)
		}
	}
	handlers := map[string]string{"exact": "last_price", "wildcard": "vwap", "range": "trades", "pattern": "four_letter", "timer": "view"}
	for _, h := range s.Hooks {
		for key, want := range map[string]uint64{
			fmt.Sprintf("eventengine_hook_calls_total{topic=%s}", h.Topic):                                   h.Calls,
			fmt.Sprintf("eventengine_hook_panics_total{topic=%s}", h.Topic):                                  h.Panics,
			fmt.Sprintf("eventengine_handler_calls_total{handler=%s,topic=%s}", handlers[h.Form], h.Topic):   h.Calls,
			fmt.Sprintf("eventengine_handler_seconds{handler=%s,topic=%s}_count", handlers[h.Form], h.Topic): h.Calls,
		} {
			if got, ok := after[key]; !ok || got != float64(want) {
				t.Errorf("%s = %v (present %v), summary says %d", key, got, ok, want)
			}
		}
	}
	if _, ok := after["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
	var all struct {
		Eventengine map[string]any
		Memstats    map[string]any
	}
	if err := json.Unmarshal(vars, &all); err != nil || all.Eventengine["messages_accepted_total"] != float64(s.Accepted) {
		t.Errorf("/debug/vars eventengine: %v (%v), summary accepted %d", all.Eventengine, err, s.Accepted)
	}
	if all.Memstats == nil {
		t.Error("/debug/vars lacks expvar's own variables")
	}
}

// TestDemoMetricsAddr: a bad or taken address is refused with a message
// that names the flag, before the demo runs.
func TestDemoMetricsAddr(t *testing.T) {
	for _, addr := range []string{"nohost", "127.0.0.1", ":x:", "127.0.0.1:99999", "127.0.0.1:-1", "127.0.0.1:http"} {
		code, _, errOut := runCmd(t, "", "demo", "--metrics-addr", addr)
		if code != 2 || !strings.Contains(errOut, "--metrics-addr must be host:port with a port from 0") || !strings.Contains(errOut, fmt.Sprintf("got %q", addr)) {
			t.Errorf("--metrics-addr %q: exit %d, %q", addr, code, errOut)
		}
	}
	srv, err := serveMetrics("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	code, _, errOut := runCmd(t, "", "demo", "--duration", "1s", "--metrics-addr", srv.Addr())
	if code != 1 || !strings.Contains(errOut, "--metrics-addr: listen tcp "+srv.Addr()) || !strings.Contains(errOut, "address already in use") {
		t.Errorf("taken address: exit %d, %q", code, errOut)
	}
}

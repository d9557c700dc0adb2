package prommetrics_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/internal/leakcheck"
	"github.com/eventengine/eventengine/prommetrics"
	"github.com/eventengine/eventengine/topic"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func quotes(event.Message) {}

type risky struct{}

func (risky) Handle(m event.Message) {
	if m.Topic.String() == "Market.Data.BAD" {
		panic("bad tick")
	}
}
func (risky) Name() string { return "risk" }

// newEngine returns a stopped engine that has delivered n messages on
// Market.Data.AAPL and one on Market.Data.BAD (which panics in risky) to
// two hooks, and has one message queued.
func newEngine(t *testing.T, n int) *engine.Engine {
	t.Helper()
	e := engine.MustNew(engine.WithHandlerStats(), engine.WithCapacity(128), engine.WithLogger(slog.New(slog.DiscardHandler)))
	for _, r := range []struct {
		topic string
		h     event.Handler
	}{{"Market.Data.{symbol}", event.HandlerFunc(quotes)}, {"Market.Data.{symbol}", risky{}}, {"Market.Data.AAPL", event.HandlerFunc(quotes)}} {
		if _, err := e.RegisterHandler(topic.MustParse(r.topic), r.h); err != nil {
			t.Fatal(err)
		}
	}
	e.Start()
	for range n {
		if err := e.Put(topic.MustParse("Market.Data.AAPL")); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Put(topic.MustParse("Market.Data.BAD")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	e.Start() // reopens the queue that Shutdown closed
	e.Stop()
	if err := e.Put(topic.MustParse("Market.Data.MSFT")); err != nil { // queued: the engine is stopped
		t.Fatal(err)
	}
	return e
}

// scrape serves reg with promhttp on a loopback server, scrapes it once
// and parses the exposition with Prometheus's own text parser.
func scrape(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Accept", "text/plain") // the text format, as the parser reads it
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing the exposition: %v", err)
	}
	return fams
}

// value returns the value of the series of family name whose labels are
// the given name=value pairs (all of them, and no others but constant
// ones given in extra).
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no family %s", name)
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Summary != nil:
			return float64(m.Summary.GetSampleCount())
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("%s has no series %v", name, want)
	return 0
}

func TestScrape(t *testing.T) {
	e := newEngine(t, 5)
	reg := prometheus.NewRegistry()
	reg.MustRegister(prommetrics.NewCollector(e, prommetrics.WithHooks(), prommetrics.WithHandlers()))
	fams := scrape(t, reg)
	s := e.Stats()
	for name, want := range map[string]float64{
		"eventengine_messages_accepted_total":  7,
		"eventengine_messages_delivered_total": 6,
		"eventengine_queue_depth":              1,
		"eventengine_queue_capacity":           float64(s.Capacity),
		"eventengine_panics_total":             1,
		"eventengine_route_misses_total":       float64(s.RouteMisses),
		"eventengine_exact_hooks":              1,
		"eventengine_generic_hooks":            1,
		"eventengine_loop_running":             0,
		"eventengine_loop_parked":              0,
		"eventengine_puts_refused_total":       0,
		"eventengine_timers":                   0,
	} {
		if got := value(t, fams, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if fams["eventengine_messages_accepted_total"].GetType() != dto.MetricType_COUNTER || fams["eventengine_queue_depth"].GetType() != dto.MetricType_GAUGE {
		t.Error("types")
	}
	// Per hook: the wildcard hook has two handlers, so 12 calls for 6 messages.
	for _, c := range []struct {
		name  string
		want  float64
		label []string
	}{
		{"eventengine_hook_calls_total", 12, []string{"topic", "Market.Data.{symbol}"}},
		{"eventengine_hook_calls_total", 5, []string{"topic", "Market.Data.AAPL"}},
		{"eventengine_hook_panics_total", 1, []string{"topic", "Market.Data.{symbol}"}},
		{"eventengine_hook_handler_seconds", 12, []string{"topic", "Market.Data.{symbol}"}},
		{"eventengine_handler_calls_total", 6, []string{"topic", "Market.Data.{symbol}", "handler", "risk"}},
		{"eventengine_handler_panics_total", 1, []string{"topic", "Market.Data.{symbol}", "handler", "risk"}},
		{"eventengine_handler_panics_total", 0, []string{"topic", "Market.Data.{symbol}", "handler", "github.com/eventengine/eventengine/prommetrics_test.quotes"}},
		{"eventengine_handler_seconds", 5, []string{"topic", "Market.Data.AAPL", "handler", "github.com/eventengine/eventengine/prommetrics_test.quotes"}},
	} {
		if got := value(t, fams, c.name, c.label...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.label, got, c.want)
		}
	}
	if fams["eventengine_handler_seconds"].GetType() != dto.MetricType_HISTOGRAM || fams["eventengine_hook_handler_seconds"].GetType() != dto.MetricType_SUMMARY {
		t.Error("handler seconds: want a histogram per handler, a summary per hook")
	}
	for _, m := range fams["eventengine_handler_seconds"].GetMetric() {
		h := m.GetHistogram()
		if sum := h.GetSampleSum(); sum <= 0 || sum > 10 {
			t.Errorf("handler seconds sum %v", sum)
		}
		// Every call is in a bucket: the last bound (10 s) holds them all,
		// and the counts never fall from one bound to the next.
		var prev uint64
		for _, b := range h.GetBucket() {
			if b.GetCumulativeCount() < prev {
				t.Errorf("bucket %v: count %d below the previous %d", b.GetUpperBound(), b.GetCumulativeCount(), prev)
			}
			prev = b.GetCumulativeCount()
		}
		if prev != h.GetSampleCount() {
			t.Errorf("histogram %v: %d calls in the buckets, %d counted", m.GetLabel(), prev, h.GetSampleCount())
		}
	}
	for _, name := range []string{"eventengine_handler_max_seconds", "eventengine_handler_errors_total", "eventengine_handler_slow_calls_total", "eventengine_errors_total", "eventengine_follow_ups_total", "eventengine_loop_restarts_total"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("no family %s", name)
		}
	}
	if got := value(t, fams, "eventengine_handler_max_seconds", "handler", "risk"); got <= 0 || got > 10 {
		t.Errorf("risk's longest call %v s", got)
	}
}

// TestLint checks the names, help and units against Prometheus's own
// linter (promlint via testutil).
func TestLint(t *testing.T) {
	c := prommetrics.NewCollector(newEngine(t, 1), prommetrics.WithHooks(), prommetrics.WithHandlers())
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	if n := testutil.CollectAndCount(c); n < 20 {
		t.Errorf("%d series", n)
	}
}

// TestOptIn: without options there are no per-hook or per-handler series.
func TestOptIn(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prommetrics.NewCollector(newEngine(t, 1)))
	for name := range scrape(t, reg) {
		if strings.HasPrefix(name, "eventengine_hook_") || strings.HasPrefix(name, "eventengine_handler_") {
			t.Errorf("series %s without WithHooks/WithHandlers", name)
		}
	}
}

// TestEngines registers two engines with one registry, told apart by a
// constant label; a second collector without labels conflicts and is
// refused with an error, not a panic.
func TestEngines(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, b := newEngine(t, 1), newEngine(t, 3)
	if err := reg.Register(prommetrics.NewCollector(a, prommetrics.WithLabels(prometheus.Labels{"engine": "a"}))); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(prommetrics.NewCollector(b, prommetrics.WithLabels(prometheus.Labels{"engine": "b"}))); err != nil {
		t.Fatal(err)
	}
	fams := scrape(t, reg)
	if va, vb := value(t, fams, "eventengine_messages_accepted_total", "engine", "a"), value(t, fams, "eventengine_messages_accepted_total", "engine", "b"); va != 3 || vb != 5 {
		t.Errorf("accepted a %v b %v", va, vb)
	}
	if err := reg.Register(prommetrics.NewCollector(a, prommetrics.WithLabels(prometheus.Labels{"engine": "a"}))); err == nil {
		t.Error("a duplicate collector was registered")
	}
}

// TestScrapeReadsNow: every scrape reads the engine at that moment.
func TestScrapeReadsNow(t *testing.T) {
	e := engine.MustNew()
	reg := prometheus.NewRegistry()
	reg.MustRegister(prommetrics.NewCollector(e))
	for i := range 3 {
		if got := value(t, scrape(t, reg), "eventengine_queue_depth"); got != float64(i) {
			t.Fatalf("scrape %d: depth %v", i, got)
		}
		if err := e.Put(topic.MustParse(fmt.Sprint("T", i))); err != nil {
			t.Fatal(err)
		}
	}
}

package otelmetrics_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/internal/leakcheck"
	"github.com/eventengine/eventengine/otelmetrics"
	"github.com/eventengine/eventengine/topic"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

type risky struct{}

func (risky) Handle(m event.Message) {
	if m.Topic.String() == "A.BAD" {
		panic("bad")
	}
}
func (risky) Name() string { return "risk" }

// newEngine returns a stopped engine whose hook A.{x} (two handlers) has
// had n messages on A.OK and one on A.BAD, with one message queued.
func newEngine(t *testing.T, n int) *engine.Engine {
	t.Helper()
	e := engine.MustNew(engine.WithHandlerStats(), engine.WithCapacity(32), engine.WithLogger(slog.New(slog.DiscardHandler)))
	tp := topic.MustParse("A.{x}")
	for _, h := range []event.Handler{risky{}, event.HandlerFunc(func(event.Message) {})} {
		if _, err := e.RegisterHandler(tp, h); err != nil {
			t.Fatal(err)
		}
	}
	e.Start()
	for i := 0; i <= n; i++ {
		s := "A.OK"
		if i == n {
			s = "A.BAD"
		}
		if err := e.Put(topic.MustParse(s)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	e.Start() // reopen the queue that Shutdown closed
	e.Stop()
	if err := e.Put(topic.MustParse("A.QUEUED")); err != nil {
		t.Fatal(err)
	}
	return e
}

// collect returns the data points by instrument name, each as value by
// attribute set (encoded as "k=v,k=v").
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			pts := map[string]float64{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if !d.IsMonotonic {
					t.Errorf("%s is not monotonic", m.Name)
				}
				for _, p := range d.DataPoints {
					pts[p.Attributes.Encoded(attribute.DefaultEncoder())] = float64(p.Value)
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					pts[p.Attributes.Encoded(attribute.DefaultEncoder())] = p.Value
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					pts[p.Attributes.Encoded(attribute.DefaultEncoder())] = float64(p.Value)
				}
			default:
				t.Errorf("%s: unexpected data %T", m.Name, m.Data)
			}
			out[m.Name] = pts
		}
	}
	return out
}

func TestManualReader(t *testing.T) {
	e := newEngine(t, 4)
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer mp.Shutdown(context.Background())
	reg, err := otelmetrics.Register(mp.Meter("test"), e, otelmetrics.WithHooks(), otelmetrics.WithHandlers(),
		otelmetrics.WithAttributes(attribute.String("engine", "a")))
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, r)
	for name, want := range map[string]float64{
		"eventengine.messages.accepted":  6,
		"eventengine.messages.delivered": 5,
		"eventengine.queue.depth":        1,
		"eventengine.queue.capacity":     float64(e.Capacity()),
		"eventengine.panics":             1,
		"eventengine.generic.hooks":      1,
		"eventengine.loop.running":       0,
	} {
		if v, ok := got[name]["engine=a"]; !ok || v != want {
			t.Errorf("%s = %v (%v), want %v", name, got[name], ok, want)
		}
	}
	if v := got["eventengine.hook.calls"]["engine=a,topic=A.{x}"]; v != 10 {
		t.Errorf("hook calls %v", got["eventengine.hook.calls"])
	}
	if v := got["eventengine.handler.panics"]["engine=a,handler=risk,topic=A.{x}"]; v != 1 {
		t.Errorf("handler panics %v", got["eventengine.handler.panics"])
	}
	if v := got["eventengine.handler.calls"]["engine=a,handler=risk,topic=A.{x}"]; v != 5 {
		t.Errorf("handler calls %v", got["eventengine.handler.calls"])
	}
	if v := got["eventengine.hook.time"]["engine=a,topic=A.{x}"]; v <= 0 || v > 10 {
		t.Errorf("hook time %v", got["eventengine.hook.time"])
	}

	// The callback reads the engine at each collection.
	if err := e.Put(topic.MustParse("A.MORE")); err != nil {
		t.Fatal(err)
	}
	if v := collect(t, r)["eventengine.queue.depth"]["engine=a"]; v != 2 {
		t.Errorf("depth after a put: %v", v)
	}
	if err := reg.Unregister(); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, r); len(got["eventengine.queue.depth"]) != 0 {
		t.Errorf("observed after Unregister: %v", got["eventengine.queue.depth"])
	}
}

func TestOptInAndErrors(t *testing.T) {
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	defer mp.Shutdown(context.Background())
	if _, err := otelmetrics.Register(mp.Meter("test"), newEngine(t, 1)); err != nil {
		t.Fatal(err)
	}
	got := collect(t, r)
	if _, ok := got["eventengine.hook.calls"]; ok {
		t.Error("per-hook instruments without WithHooks")
	}
	if got["eventengine.messages.accepted"][""] != 3 {
		t.Errorf("accepted %v", got["eventengine.messages.accepted"])
	}
	if _, err := otelmetrics.Register(nil, newEngine(t, 1)); err == nil {
		t.Error("nil meter accepted")
	}
	if _, err := otelmetrics.Register(mp.Meter("test"), nil); err == nil {
		t.Error("nil engine accepted")
	}
}

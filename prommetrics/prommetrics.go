// Package prommetrics exports an engine's statistics to Prometheus: a
// [prometheus.Collector] that reads the engine's snapshot ([engine.Stats]
// and, on request, the per-hook and per-handler statistics) when it is
// scraped, so nothing is added to the engine's hot path.
//
// Register it with a registry and serve the registry with promhttp:
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(prommetrics.NewCollector(e, prommetrics.WithHandlers()))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// The engine-wide metrics are named eventengine_..., counters ending in
// _total (eventengine_messages_accepted_total, eventengine_puts_waited_total,
// eventengine_panics_total, ...) and gauges without it
// (eventengine_queue_depth, eventengine_queue_capacity,
// eventengine_loop_parked, ...). The per-hook series, with [WithHooks], are
// labelled topic (the hook's topic, as written at registration):
//
//	eventengine_hook_calls_total, eventengine_hook_panics_total,
//	eventengine_hook_handler_seconds (a summary: _sum and _count)
//
// and the per-handler series, with [WithHandlers], are labelled topic and
// handler (the handler's name: its Name method if it has one, the
// function's name for a func, else its type):
//
//	eventengine_handler_calls_total, eventengine_handler_panics_total,
//	eventengine_handler_seconds (a summary: _sum and _count)
//
// With [WithBridge], the series of a bridge (such as natsbridge's) are
// added, labelled bridge: eventengine_bridge_sent_total,
// eventengine_bridge_dropped_total (and label reason), ... (see
// WithBridge).
//
// Calls and time are counted only by an engine made with
// engine.WithHandlerStats; panics always. Per-hook and per-handler series
// are opt-in because their number grows with the hooks (a hook per symbol
// is common).
package prommetrics

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/internal/metricset"
)

// Option configures a Collector.
type Option func(*config)

type config struct {
	hooks, handlers bool
	labels          prometheus.Labels
	bridges         []bridgeSource
}

// WithHooks adds the per-hook series (label topic).
func WithHooks() Option { return func(c *config) { c.hooks = true } }

// WithHandlers adds the per-handler series (labels topic and handler).
func WithHandlers() Option { return func(c *config) { c.handlers = true } }

// WithLabels adds constant labels to every series, to tell apart several
// engines registered with one registry (engine="orders").
func WithLabels(l prometheus.Labels) Option { return func(c *config) { c.labels = l } }

// Collector is a prometheus.Collector of one engine.
type Collector struct {
	e      *engine.Engine
	cfg    config
	engine []*prometheus.Desc // one per metricset.Engine
	hook   calls              // per hook (label topic)
	hdl    calls              // per handler (labels topic, handler)
	bridge bridgeDescs        // per bridge (label bridge), with WithBridge
}

// calls are the descriptors of a hook's or a handler's series.
type calls struct {
	counters []*prometheus.Desc // one per metricset.CallCounters
	seconds  *prometheus.Desc
	max      *prometheus.Desc // handlers only: then seconds is a histogram
}

func newCalls(prefix, of, secondsName, secondsHelp string, labels []string, constLabels prometheus.Labels, histogram bool) calls {
	var k calls
	for _, m := range metricset.CallCounters {
		k.counters = append(k.counters, prometheus.NewDesc(prefix+m.Name+"_total", fmt.Sprintf(m.Help, of), labels, constLabels))
	}
	k.seconds = prometheus.NewDesc(secondsName, secondsHelp, labels, constLabels)
	if histogram {
		k.max = prometheus.NewDesc(prefix+"max_seconds", "The longest call of "+of+" (counted with engine.WithHandlerStats).", labels, constLabels)
	}
	return k
}

func (k calls) describe(ch chan<- *prometheus.Desc) {
	for _, d := range k.counters {
		ch <- d
	}
	ch <- k.seconds
	if k.max != nil {
		ch <- k.max
	}
}

// send sends the counters and the time of a hook or a handler. A hook's
// time is a summary without quantiles (its _sum and _count give the mean:
// the handlers' histograms are per handler); a handler's is a histogram
// over secondsBounds, from the handler's own log-linear histogram
// (event.Stats.Buckets), with its longest call beside it.
func (k calls) send(ch chan<- prometheus.Metric, c metricset.Calls, labels ...string) {
	for i, m := range metricset.CallCounters {
		ch <- prometheus.MustNewConstMetric(k.counters[i], prometheus.CounterValue, float64(m.Value(&c)), labels...)
	}
	if k.max == nil {
		ch <- prometheus.MustNewConstSummary(k.seconds, c.Calls, c.Time.Seconds(), nil, labels...)
		return
	}
	ch <- prometheus.MustNewConstHistogram(k.seconds, c.Calls, c.Time.Seconds(), cumulative(c.Buckets), labels...)
	ch <- prometheus.MustNewConstMetric(k.max, prometheus.GaugeValue, c.Max.Seconds(), labels...)
}

// secondsBounds are the upper bounds of the handler-time histogram, 1 us
// to 10 s in steps of 1, 2.5 and 5.
var secondsBounds = []float64{
	1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// cumulative maps a handler's log-linear buckets (about 19 % apart) onto
// secondsBounds: the count at a bound is that of every bucket whose upper
// bound is at or below it, so a call near a bound may be counted at the
// next one.
func cumulative(buckets []event.Bucket) map[float64]uint64 {
	out := make(map[float64]uint64, len(secondsBounds))
	i := 0
	var n uint64
	for _, bound := range secondsBounds {
		for i < len(buckets) && buckets[i].UpperBound.Seconds() <= bound {
			n += buckets[i].Count
			i++
		}
		out[bound] = n
	}
	return out
}

// NewCollector returns a collector of e's statistics.
func NewCollector(e *engine.Engine, opts ...Option) *Collector {
	c := &Collector{e: e}
	for _, o := range opts {
		if o != nil {
			o(&c.cfg)
		}
	}
	l := c.cfg.labels
	for _, m := range metricset.Engine {
		c.engine = append(c.engine, prometheus.NewDesc(m.FullName(), m.Help, nil, l))
	}
	c.hook = newCalls("eventengine_hook_", metricset.OfHook, "eventengine_hook_handler_seconds",
		"Time spent in the hook's handlers, per handler call (counted with engine.WithHandlerStats).", []string{"topic"}, l, false)
	c.hdl = newCalls("eventengine_handler_", metricset.OfHandler, "eventengine_handler_seconds",
		"Time spent in the handler, per call (counted with engine.WithHandlerStats).", []string{"topic", "handler"}, l, true)
	c.bridge = newBridgeDescs(l)
	return c
}

// Describe sends the descriptors of every series the collector can send.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.engine {
		ch <- d
	}
	if c.cfg.hooks {
		c.hook.describe(ch)
	}
	if c.cfg.handlers {
		c.hdl.describe(ch)
	}
	if len(c.cfg.bridges) > 0 {
		c.bridge.describe(ch)
	}
}

// Collect reads the engine's snapshot and sends its series.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.e.Stats()
	for i, m := range metricset.Engine {
		t := prometheus.GaugeValue
		if m.Kind == metricset.Counter {
			t = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(c.engine[i], t, float64(m.Value(&s)))
	}
	c.bridge.collect(ch, c.cfg.bridges)
	if !c.cfg.hooks && !c.cfg.handlers {
		return
	}
	for _, h := range metricset.Hooks(c.e, c.cfg.handlers) {
		if c.cfg.hooks {
			c.hook.send(ch, h.Totals, h.Topic)
		}
		for _, x := range h.Handlers {
			c.hdl.send(ch, x.Calls, h.Topic, x.Name)
		}
	}
}

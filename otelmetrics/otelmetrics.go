// Package otelmetrics exports an engine's statistics as OpenTelemetry
// observable instruments: one callback reads the engine's snapshot
// ([engine.Stats] and, on request, the per-hook and per-handler statistics)
// when the SDK collects, so nothing is added to the engine's hot path.
//
// It depends on the OpenTelemetry metric API only: the application picks the
// SDK, the reader and the exporter, and passes a Meter:
//
//	reg, err := otelmetrics.Register(provider.Meter("eventengine"), e, otelmetrics.WithHooks())
//	...
//	defer reg.Unregister()
//
// The engine-wide instruments have the names of the Prometheus exporter
// (package prommetrics) with dots: eventengine.messages.accepted,
// eventengine.puts.waited, eventengine.panics (Int64ObservableCounter),
// eventengine.queue.depth, eventengine.queue.capacity,
// eventengine.loop.parked (Int64ObservableGauge), and so on. With
// [WithHooks], per hook (attribute topic): eventengine.hook.calls,
// eventengine.hook.panics and eventengine.hook.time (seconds spent in its
// handlers, a Float64ObservableCounter). With [WithHandlers], the same per
// handler (attributes topic and handler): eventengine.handler.calls,
// eventengine.handler.panics, eventengine.handler.time. Calls and time are
// counted only by an engine made with engine.WithHandlerStats.
package otelmetrics

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/internal/metricset"
)

// Option configures Register.
type Option func(*config)

type config struct {
	hooks, handlers bool
	attrs           []attribute.KeyValue
}

// WithHooks adds the per-hook instruments (attribute topic).
func WithHooks() Option { return func(c *config) { c.hooks = true } }

// WithHandlers adds the per-handler instruments (attributes topic and
// handler).
func WithHandlers() Option { return func(c *config) { c.handlers = true } }

// WithAttributes adds attributes to every observation, to tell apart
// several engines measured by one meter (attribute.String("engine", "orders")).
func WithAttributes(kv ...attribute.KeyValue) Option {
	return func(c *config) { c.attrs = append(c.attrs, kv...) }
}

// calls are the instruments of a hook or a handler.
type calls struct {
	counters []metric.Int64ObservableCounter // one per metricset.CallCounters
	time     metric.Float64ObservableCounter
}

func newCalls(m metric.Meter, prefix, of, timeHelp string, obs *[]metric.Observable) (calls, error) {
	var c calls
	var errs error
	for _, d := range metricset.CallCounters {
		inst, err := m.Int64ObservableCounter(prefix+"."+d.Name, metric.WithUnit(d.Unit), metric.WithDescription(fmt.Sprintf(d.Help, of)))
		errs = errors.Join(errs, err)
		c.counters = append(c.counters, inst)
		*obs = append(*obs, inst)
	}
	var err error
	c.time, err = m.Float64ObservableCounter(prefix+".time", metric.WithUnit("s"), metric.WithDescription(timeHelp))
	*obs = append(*obs, c.time)
	return c, errors.Join(errs, err)
}

func (c calls) observe(o metric.Observer, k metricset.Calls, opt metric.MeasurementOption) {
	for i, d := range metricset.CallCounters {
		o.ObserveInt64(c.counters[i], int64(d.Value(&k)), opt)
	}
	o.ObserveFloat64(c.time, k.Time.Seconds(), opt)
}

// Register creates the instruments with m and registers one callback that
// observes them all from e's snapshot. Unregister the returned registration
// to stop observing e.
func Register(m metric.Meter, e *engine.Engine, opts ...Option) (metric.Registration, error) {
	if m == nil || e == nil {
		return nil, errors.New("otelmetrics: Register needs a meter and an engine")
	}
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	var obs []metric.Observable
	var errs error
	engineObs := make([]func(metric.Observer, *engine.Stats, metric.MeasurementOption), 0, len(metricset.Engine))
	for _, d := range metricset.Engine {
		desc, unit := metric.WithDescription(d.Help), metric.WithUnit(d.Unit)
		var inst metric.Int64Observable
		var err error
		if d.Kind == metricset.Counter {
			inst, err = m.Int64ObservableCounter(d.DottedName(), desc, unit)
		} else {
			inst, err = m.Int64ObservableGauge(d.DottedName(), desc, unit)
		}
		if err != nil {
			errs = errors.Join(errs, err)
			continue
		}
		obs = append(obs, inst)
		value := d.Value
		engineObs = append(engineObs, func(o metric.Observer, s *engine.Stats, opt metric.MeasurementOption) {
			o.ObserveInt64(inst, value(s), opt)
		})
	}
	var hook, handler calls
	if c.hooks {
		var err error
		hook, err = newCalls(m, "eventengine.hook", metricset.OfHook,
			"Time spent in the hook's handlers (counted with engine.WithHandlerStats).", &obs)
		errs = errors.Join(errs, err)
	}
	if c.handlers {
		var err error
		handler, err = newCalls(m, "eventengine.handler", metricset.OfHandler,
			"Time spent in the handler (counted with engine.WithHandlerStats).", &obs)
		errs = errors.Join(errs, err)
	}
	if errs != nil {
		return nil, errs
	}
	base := metric.WithAttributes(c.attrs...)
	return m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := e.Stats()
		for _, f := range engineObs {
			f(o, &s, base)
		}
		if !c.hooks && !c.handlers {
			return nil
		}
		for _, h := range metricset.Hooks(e, c.handlers) {
			topic := attribute.String("topic", h.Topic)
			if c.hooks {
				hook.observe(o, h.Totals, metric.WithAttributes(append(c.attrs[:len(c.attrs):len(c.attrs)], topic)...))
			}
			for _, x := range h.Handlers {
				handler.observe(o, x.Calls, metric.WithAttributes(append(c.attrs[:len(c.attrs):len(c.attrs)], topic, attribute.String("handler", x.Name))...))
			}
		}
		return nil
	}, obs...)
}

// Package metricset is the list of an engine's metrics that every exporter
// (expvarstats, prommetrics, otelmetrics) publishes, and the per-hook and
// per-handler snapshot they read. Keeping the list in one place gives the
// exporters the same names and meanings: a counter added to engine.Stats
// becomes a metric of all of them with one line in Engine.
package metricset

import (
	"cmp"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
)

// Kind tells a counter (only grows while the engine lives) from a gauge.
type Kind int

const (
	Counter Kind = iota
	Gauge
)

// Metric is one engine-wide metric read from engine.Stats.
type Metric struct {
	// Name is the base name in snake case, without the "eventengine_"
	// prefix and the "_total" suffix of a counter (which FullName adds).
	Name string
	Help string
	Kind Kind
	// Unit is the OpenTelemetry unit ("{message}", "{put}", "1").
	Unit string
	// Value reads the metric from a snapshot.
	Value func(s *engine.Stats) int64
}

// FullName is the Prometheus-style name: eventengine_ and Key.
func (m Metric) FullName() string { return "eventengine_" + m.Key() }

// Key is the name within an engine's statistics: Name, with _total for a
// counter.
func (m Metric) Key() string {
	if m.Kind == Counter {
		return m.Name + "_total"
	}
	return m.Name
}

// DottedName is the OpenTelemetry-style name: eventengine.NAME with dots
// for underscores (eventengine.messages.accepted).
func (m Metric) DottedName() string {
	return "eventengine." + strings.ReplaceAll(m.Name, "_", ".")
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Engine lists the engine-wide metrics. Panics and errors are "panics" and
// "errors", so that the engine-wide eventengine_errors_total does not clash
// with the per-handler eventengine_handler_errors_total.
var Engine = []Metric{
	{"queue_depth", "Messages in the queue now.", Gauge, "{message}", func(s *engine.Stats) int64 { return int64(s.Queued) }},
	{"queue_capacity", "Capacity of the queue, in messages.", Gauge, "{message}", func(s *engine.Stats) int64 { return int64(s.Capacity) }},
	{"messages_accepted", "Messages accepted by a put since the engine was made.", Counter, "{message}", func(s *engine.Stats) int64 { return int64(s.Accepted) }},
	{"messages_delivered", "Messages the dispatch loop has taken for delivery to the hooks.", Counter, "{message}", func(s *engine.Stats) int64 { return int64(s.Delivered) }},
	{"messages_taken", "Messages taken from the queue by Get or TryGet instead of the loop.", Counter, "{message}", func(s *engine.Stats) int64 { return int64(s.Taken) }},
	{"puts_refused", "Puts refused: queue full (non-blocking put), engine closed, topic not exact, or context ended.", Counter, "{put}", func(s *engine.Stats) int64 { return int64(s.Refused) }},
	{"puts_waited", "Blocking puts that found the queue full and waited for room.", Counter, "{put}", func(s *engine.Stats) int64 { return int64(s.Waited) }},
	{"puts_full_on_loop", "Puts from a handler that found the queue full and returned ErrFull rather than wait for their own loop.", Counter, "{put}", func(s *engine.Stats) int64 { return int64(s.FullOnLoop) }},
	{"puts_parked", "Blocking puts parked on a full queue now.", Gauge, "{put}", func(s *engine.Stats) int64 { return int64(s.ParkedPuts) }},
	{"panics", "Panics recovered in handlers, over every hook ever registered (the per-handler series are eventengine_handler_panics_total).", Counter, "{panic}", func(s *engine.Stats) int64 { return int64(s.HandlerPanics) }},
	{"errors", "Errors returned by handlers of registered hooks (the per-handler series are eventengine_handler_errors_total).", Counter, "{error}", func(s *engine.Stats) int64 { return int64(s.HandlerErrors) }},
	{"follow_ups", "Messages published by handlers that the loop kept beside a full queue (engine.WithFollowUpLimit).", Counter, "{message}", func(s *engine.Stats) int64 { return int64(s.FollowUps) }},
	{"follow_ups_queued", "Follow-ups kept beside the queue now, waiting for delivery.", Gauge, "{message}", func(s *engine.Stats) int64 { return int64(s.FollowUpsQueued) }},
	{"loop_restarts", "Times a handler ended the dispatch loop's goroutine (runtime.Goexit) and the loop went on in a new one.", Counter, "{restart}", func(s *engine.Stats) int64 { return int64(s.LoopRestarts) }},
	{"route_misses", "Messages whose route (the hooks of their topic) was not cached and was computed.", Counter, "{message}", func(s *engine.Stats) int64 { return int64(s.RouteMisses) }},
	{"exact_hooks", "Registered hooks of exact topics.", Gauge, "{hook}", func(s *engine.Stats) int64 { return int64(s.ExactHooks) }},
	{"generic_hooks", "Registered hooks of generic (wildcard, range, pattern) topics.", Gauge, "{hook}", func(s *engine.Stats) int64 { return int64(s.GenericHooks) }},
	{"timers", "Timers created.", Gauge, "{timer}", func(s *engine.Stats) int64 { return int64(s.Timers) }},
	{"loop_running", "1 while the dispatch loop runs.", Gauge, "1", func(s *engine.Stats) int64 { return b2i(s.Running) }},
	{"loop_parked", "1 while the running loop sleeps on an empty queue (an idle engine uses no CPU).", Gauge, "1", func(s *engine.Stats) int64 { return b2i(s.LoopParked) }},
}

// Calls is the statistics of a hook or a handler, in base units.
type Calls struct {
	Calls  uint64
	Panics uint64
	Errors uint64
	Slow   uint64        // calls over the hook's slow threshold (engine.WithSlowHandler)
	Time   time.Duration // time spent in the handler(s)
	// Max and Buckets: the longest call and the latency histogram
	// (event.Stats.Buckets) of a handler; zero for a hook's totals.
	Max     time.Duration
	Buckets []event.Bucket
}

// CallCounter is one counter of a hook or of a handler, read from Calls. A
// counter added to event.Stats (handler errors, say) takes a field in Calls,
// its line in callsOf and one line in CallCounters; every exporter then has
// it.
type CallCounter struct {
	// Name is the base name (calls): the exporters make it
	// eventengine_hook_calls_total, eventengine.handler.calls, ...
	Name string
	// Help has one %s, for whose calls they are ("the handler").
	Help  string
	Unit  string
	Value func(c *Calls) uint64
}

// CallCounters lists the counters of a hook and of a handler. The time spent
// in the handlers is not among them: it is a summary for Prometheus (a
// histogram once the handlers keep one) and a float for OpenTelemetry.
var CallCounters = []CallCounter{
	{"calls", "Calls of %s (counted with engine.WithHandlerStats).", "{call}", func(c *Calls) uint64 { return c.Calls }},
	{"panics", "Panics recovered in %s.", "{panic}", func(c *Calls) uint64 { return c.Panics }},
	{"errors", "Errors returned by %s.", "{error}", func(c *Calls) uint64 { return c.Errors }},
	{"slow_calls", "Calls of %s that took at least the slow-handler threshold (engine.WithSlowHandler).", "{call}", func(c *Calls) uint64 { return c.Slow }},
}

// OfHook and OfHandler complete a CallCounter's Help.
const (
	OfHook    = "the hook's handlers, including handlers removed since"
	OfHandler = "the handler"
)

func callsOf(s event.Stats) Calls {
	return Calls{Calls: s.Calls, Panics: s.Panics, Errors: s.Errors, Slow: s.Slow, Time: s.Total, Max: s.Max, Buckets: s.Buckets}
}

// add adds o's counts to c: the registrations of handlers of one name add
// up, their histograms bucket by bucket (every histogram has the same
// bounds, from the smallest up to its last non-empty one).
func (c *Calls) add(o Calls) {
	c.Calls += o.Calls
	c.Panics += o.Panics
	c.Errors += o.Errors
	c.Slow += o.Slow
	c.Time += o.Time
	c.Max = max(c.Max, o.Max)
	c.Buckets = mergeBuckets(c.Buckets, o.Buckets)
}

// mergeBuckets returns the bucket-by-bucket sum of two histograms with the
// same bounds from their first bucket on, writing into neither unless a is
// the longer (then into a, which add owns once it has merged into it).
func mergeBuckets(a, b []event.Bucket) []event.Bucket {
	if len(b) > len(a) {
		a, b = slices.Clone(b), a
	}
	for i := range b {
		a[i].Count += b[i].Count
	}
	return a
}

// Handler is the statistics of the handlers of one name in one hook.
type Handler struct {
	Name string
	Calls
}

// Hook is the statistics of one hook: its lifetime totals (which include
// handlers removed since) and, when asked for, its handlers.
type Hook struct {
	Topic string
	// Timed reports an extended hook, which counts calls and time; every
	// hook counts panics.
	Timed    bool
	Totals   Calls
	Handlers []Handler
}

// Hooks returns the statistics of e's hooks in registration order. With
// handlers, each hook's handlers are listed too, the registrations of
// handlers of the same name added together (a series per name, not per
// registration: registrations come and go, names stay), sorted by name.
func Hooks(e *engine.Engine, handlers bool) []Hook {
	var out []Hook
	for t, h := range e.All() {
		k := Hook{Topic: t.String(), Timed: h.HasStats(), Totals: callsOf(h.Totals())}
		if handlers {
			at := map[string]int{} // index in k.Handlers by name
			for fn, s := range h.AllStats() {
				name := HandlerName(fn)
				i, ok := at[name]
				if !ok {
					i = len(k.Handlers)
					at[name] = i
					k.Handlers = append(k.Handlers, Handler{Name: name})
				}
				k.Handlers[i].add(callsOf(s))
			}
			slices.SortFunc(k.Handlers, func(a, b Handler) int { return cmp.Compare(a.Name, b.Name) })
		}
		out = append(out, k)
	}
	return out
}

// HandlerName names a handler for a metric label: its own name if it has a
// Name method, the function's name for a func (package.Func, or
// package.Outer.func1 for a closure), "hook TOPIC" for a hook registered as
// a handler, else its type (*pkg.Type).
func HandlerName(h event.Handler) string {
	if n, ok := h.(interface{ Name() string }); ok {
		if s := n.Name(); s != "" {
			return s
		}
	}
	if hk, ok := h.(*event.Hook); ok {
		return "hook " + hk.Topic().String()
	}
	v := reflect.ValueOf(h)
	if v.Kind() == reflect.Func && !v.IsNil() {
		if f := runtime.FuncForPC(v.Pointer()); f != nil {
			return f.Name()
		}
	}
	return fmt.Sprintf("%T", h)
}

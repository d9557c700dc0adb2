// Package expvarstats publishes an engine's statistics as an [expvar]
// variable, so that /debug/vars (expvar's handler, on
// http.DefaultServeMux once expvar is imported) shows them. The engine
// package does not import expvar: an application opts in by calling
// [Publish], or serves the statistics from its own handler with [Handler].
//
// The variable is an [expvar.Func]: the engine's snapshot ([engine.Stats],
// and with [WithHooks] the per-hook and per-handler statistics) is read when
// the variable is read, so nothing is added to the engine's hot path. Its
// value is one JSON object with the same names as the Prometheus and
// OpenTelemetry exporters (package prommetrics and otelmetrics, modules of
// their own):
//
//	{"queue_depth": 0, "queue_capacity": 4095, "messages_accepted_total": 12, ...,
//	 "hooks": [{"topic": "Market.Data.{symbol}", "calls_total": 12, "panics_total": 0,
//	            "handler_seconds_total": 0.000021, "handlers": [...]}]}
package expvarstats

import (
	"encoding/json"
	"errors"
	"expvar"
	"fmt"
	"net/http"
	"sync"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/internal/metricset"
)

// ErrExists is returned by Publish for a name expvar already holds
// (expvar.Publish would panic).
var ErrExists = errors.New("expvar variable already published")

// Option configures what is published.
type Option func(*config)

type config struct {
	hooks, handlers bool
	bridges         []bridge
}

type bridge struct {
	name string
	read func() any
}

// WithHooks adds a "hooks" list: per hook its topic, calls, panics and
// time spent in its handlers (lifetime totals, including handlers removed
// since). Calls and time are counted only by an engine made with
// engine.WithHandlerStats; panics always.
func WithHooks() Option { return func(c *config) { c.hooks = true } }

// WithHandlers is WithHooks with, in each hook, a "handlers" list: per
// handler name (see prommetrics for the naming) its calls, panics and time.
func WithHandlers() Option { return func(c *config) { c.hooks, c.handlers = true, true } }

// WithBridge adds, under "bridges" in the engine's object, the value read
// returns (read when the variable is read) as name: the statistics of a
// bridge of the engine, such as a natsbridge.Bridge's, which this package
// does not import. read must be safe for concurrent use and return a
// value encoding/json can encode; give WithBridge once per bridge, each
// with its own name.
//
//	{"queue_depth": 0, ..., "bridges": {"feed": {"sent_total": 12, ...}}}
func WithBridge(name string, read func() any) Option {
	return func(c *config) {
		if read != nil {
			c.bridges = append(c.bridges, bridge{name, read})
		}
	}
}

// mu serialises Publish, so that two calls with one name cannot both pass
// the check and make expvar.Publish panic.
var mu sync.Mutex

// Publish publishes e's statistics as the expvar variable name. Each engine
// needs a name of its own ("eventengine", "eventengine.orders", ...). It
// returns an error wrapping ErrExists if the name is taken, and an error
// for an empty name or a nil engine. expvar cannot remove a variable: a
// published engine stays reachable for the life of the process.
func Publish(name string, e *engine.Engine, opts ...Option) error {
	if name == "" {
		return errors.New("expvarstats: empty variable name")
	}
	if e == nil {
		return fmt.Errorf("expvarstats: publishing %q: nil engine", name)
	}
	mu.Lock()
	defer mu.Unlock()
	if expvar.Get(name) != nil {
		return fmt.Errorf("expvarstats: publishing %q: %w", name, ErrExists)
	}
	expvar.Publish(name, Func(e, opts...))
	return nil
}

// Func returns the variable without publishing it: its Value is the
// statistics (a map ready for encoding/json), read at each call.
func Func(e *engine.Engine, opts ...Option) expvar.Func {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return func() any { return snapshot(e, c) }
}

func snapshot(e *engine.Engine, c config) map[string]any {
	s := e.Stats()
	out := make(map[string]any, len(metricset.Engine)+1)
	for _, m := range metricset.Engine {
		out[m.Key()] = m.Value(&s)
	}
	if c.hooks {
		hooks := []map[string]any{}
		for _, h := range metricset.Hooks(e, c.handlers) {
			k := calls(h.Totals)
			k["topic"] = h.Topic
			if c.handlers {
				hs := []map[string]any{}
				for _, x := range h.Handlers {
					m := calls(x.Calls)
					m["name"] = x.Name
					hs = append(hs, m)
				}
				k["handlers"] = hs
			}
			hooks = append(hooks, k)
		}
		out["hooks"] = hooks
	}
	if len(c.bridges) > 0 {
		bs := make(map[string]any, len(c.bridges))
		for _, b := range c.bridges {
			bs[b.name] = b.read()
		}
		out["bridges"] = bs
	}
	return out
}

func calls(c metricset.Calls) map[string]any {
	m := map[string]any{"handler_seconds_total": c.Time.Seconds()}
	for _, k := range metricset.CallCounters {
		m[k.Name+"_total"] = k.Value(&c)
	}
	return m
}

// Handler serves what expvar's own handler serves (every published
// variable, as one JSON object) with e's statistics added under name,
// without publishing them: for an application that serves several engines
// in turn, or tests. A published variable of the same name is shadowed.
func Handler(name string, e *engine.Engine, opts ...Option) http.Handler {
	v := Func(e, opts...)
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		vars := map[string]json.RawMessage{}
		expvar.Do(func(kv expvar.KeyValue) { vars[kv.Key] = json.RawMessage(kv.Value.String()) })
		vars[name] = json.RawMessage(v.String())
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		if err := enc.Encode(vars); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
}

// Package eventengine is a fast, topic-driven, in-process event engine. This
// package holds no code: it is the overview of the module and its layout.
// The API is in the packages below; start with package engine
// ([github.com/eventengine/eventengine/engine]) and package topic.
//
// Many goroutines publish messages on dot-separated topics
// (Market.Data.AAPL); one dispatch loop delivers them in order to the hook of
// that exact topic and to every generic hook whose topic matches it
// (Market.Data.{symbol}, Market.(Equity|Futures).Trade,
// Market.Data./^[A-Z]{4}$/). The core module depends on the standard
// library only.
//
// # Terms
//
// Each word below names one thing, in the API, the documentation, the demo
// and the metrics:
//
//   - topic: a dot-separated name. An exact topic has literal parts only
//     and is what messages are published on; a generic topic has
//     wildcards ({symbol}), ranges ((Equity|Futures)) or patterns
//     (/^[A-Z]{4}$/) and is only registered on.
//   - message: what a put publishes ([github.com/eventengine/eventengine/event.Message]): a topic, a sequence
//     number and arguments.
//   - handler: a function or value that receives messages ([github.com/eventengine/eventengine/event.Handler]).
//     Its name (in metrics) is its Name method's result if it has one,
//     else the function's name.
//   - hook: the handlers registered on one topic ([github.com/eventengine/eventengine/event.Hook]), called in
//     registration order. Registering a handler on a topic (subscribing
//     it) adds it to that topic's hook, creating the hook if needed. An
//     exact hook is the hook of an exact topic, a generic hook that of a
//     generic topic.
//   - timer: a producer inside the engine that publishes on its own topic
//     (EventEngine.Internal.Timer.<interval>) at a fixed interval.
//
// # Layout
//
// The core module (github.com/eventengine/eventengine, standard library
// only):
//
//   - [github.com/eventengine/eventengine/topic]: the topic language:
//     parsing, matching with bound values, formatting.
//   - [github.com/eventengine/eventengine/event]: messages, handlers and
//     hooks, with per-handler statistics and panic isolation.
//   - [github.com/eventengine/eventengine/queue]: the bounded lock-free
//     queue.
//   - [github.com/eventengine/eventengine/index]: the tree of generic
//     topics that finds the generic hooks a topic reaches.
//   - [github.com/eventengine/eventengine/engine]: queue, dispatch loop,
//     registry of hooks, route cache, timers and statistics.
//   - [github.com/eventengine/eventengine/clock]: injectable time, with a
//     fake clock for tests.
//   - [github.com/eventengine/eventengine/expvarstats]: an engine's
//     statistics as an expvar variable (/debug/vars).
//
// Modules of their own in the same repository, joined by go.work, for
// what needs third-party code:
//
//   - github.com/eventengine/eventengine/prommetrics: a Prometheus
//     collector of an engine's statistics.
//   - github.com/eventengine/eventengine/otelmetrics: OpenTelemetry
//     observable instruments over the same statistics.
//   - github.com/eventengine/eventengine/cmd/eventengine: the command:
//     demo (with --metrics-addr for /metrics and /debug/vars), topic,
//     bench and version.
//   - github.com/eventengine/eventengine/bench: the engine against its
//     peers (Go channels, NATS, watermill, ...).
//   - github.com/eventengine/eventengine/natsbridge: a bridge between an
//     engine and NATS.
//
// The repository's README says how to install and use the module, docs/
// holds the architecture, the reliability guarantees, the benchmarks and
// the mapping from the Python reference API, and examples/ has runnable
// programs.
package eventengine

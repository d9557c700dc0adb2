// Package engine is the event engine: a bounded queue that many goroutines
// publish into and one dispatch loop that delivers every message, in FIFO
// order, to the hook of its exact topic and then to every generic (wildcard)
// hook whose topic matches it.
//
//	e := engine.MustNew()
//	sub, err := engine.SubscribeValue(e, "Market.Data.{symbol}", func(m event.Message, t Tick) {
//		fmt.Println(m.Param("symbol"), t.Price) // the symbol the wildcard bound
//	})
//	e.SubscribeErr("Orders.{side}", func(m event.Message) error {
//		qty, err := event.ArgErr[int](m, 0) // says why if it is missing or not an int
//		if err != nil {
//			return err // logged and counted for this subscription
//		}
//		venue, _ := event.Kwarg[string](m, "venue")
//		fmt.Println(m.Param("side"), qty, venue)
//		return nil
//	})
//	e.Start()
//	engine.PublishValue(e, "Market.Data.AAPL", Tick{Price: 187.5})
//	e.Send("Orders.Buy", 100, event.Kw{"venue": "XNAS"})
//	e.Shutdown(ctx)
//	sub.Unsubscribe()
//
// # The forms to reach for
//
//   - [Engine.Subscribe] (a topic's text), [Engine.SubscribeTopic] (a
//     topic.Topic), [Engine.SubscribeErr] (a handler that returns an
//     error) and [Engine.SubscribeContext] (one that also gets a context
//     that ends when the engine stops) return a [*Subscription]:
//     Unsubscribe, Topic, Stats, Name. A pattern that does not parse is an
//     error with its offset, never a panic.
//   - [Engine.Send], [Engine.TrySend] and [Engine.SendContext] publish on
//     a topic given as text: they are Put's string form (a text seen
//     before costs no allocation). An [event.Kw] as the last argument of
//     Send or Put holds keyword arguments.
//   - [PublishValue] and [SubscribeValue] carry a value of the user's type
//     (a Tick, a *Tick) without []any or boxing; a message of another type
//     is an error logged and counted for the subscription. [TypedOf] names
//     the type once for both sides, so that a wrong one does not compile.
//   - In a handler, [event.Message.Param] reads what a wildcard of the
//     subscription bound, without matching again; [event.ArgErr] and
//     [event.Value] read arguments and say why one is not there.
//   - [WithMiddleware] wraps every handler the engine registers (timing,
//     logging, tracing, [Recover]); handler errors and panics are logged
//     and counted per handler ([event.Stats]) and per engine ([Stats]).
//
// The reference-shaped calls stay: [Engine.RegisterHandler],
// [Engine.RegisterFunc], [Engine.RegisterUnique] and [Engine.RegisterHook]
// with a topic.Topic, [Engine.Put] and [Engine.Publish],
// [Engine.UnregisterHandler] (and [Engine.UnregisterID], which needs no
// topic).
//
// # Delivery rules
//
//   - Only exact topics can be published (ErrNotExact). Every accepted message
//     gets the next sequence id (1, 2, 3, ...); a refused put consumes none.
//   - Messages are delivered one at a time, in the order they were accepted,
//     on the loop's goroutine: first to the exact hook, then to the matching
//     generic hooks in the order they were registered, each hook once.
//   - A handler never waits for its own loop. Its blocking put on a full
//     queue, and any put it makes while Shutdown drains the queue, is kept
//     as a follow-up beside the queue (up to WithFollowUpLimit) and
//     delivered after every message accepted before it, with the next
//     sequence id at that point (see Put).
//   - Stop ends the loop after the message in hand; messages still queued
//     (and follow-ups) stay. A later Start delivers them, or Get takes them.
//     Nothing accepted is dropped. Stop, Shutdown and the end of Run's
//     context are one stop signal, seen after every message.
//   - Shutdown refuses puts from other goroutines (ErrClosed), delivers
//     everything queued and every follow-up, then stops. A later Start
//     reopens the queue. Its context bounds the wait, even for a handler
//     that blocks.
//   - A handler may publish, register and unregister, Stop and Start
//     (the last call wins), panic (recovered, logged, counted) and call
//     runtime.Goexit (the loop goes on in a new goroutine). Shutdown from a
//     handler returns ErrRunning: it cannot wait for its own loop.
//
// # Waiting
//
// The loop takes messages in batches. When the queue is empty it spins for
// a while (WithMaxSpin rounds of at most about a microsecond each, some tens
// of microseconds by default, yielding the processor between rounds) so that
// a busy stream is delivered without a wake-up, and then parks: an idle
// engine uses no CPU (Stats.LoopParked), and the next put wakes it. A put on
// a full queue likewise spins, retrying once the loop has made room for a
// batch, and then parks until the loop makes room.
//
// # Timers
//
// Timer(d) (the reference's get_timer) returns the topic of a timer that
// publishes every d while the engine runs; asked for before Start, it
// starts with the engine. Registering a handler on a timer's exact topic
// (SecondTimer, MinuteTimer, or TimerPrefix + "." + IntervalName(d)) also
// creates the timer; a hook on a topic under TimerPrefix that no timer
// can publish on is logged as a warning. Every tick has the keyword
// argument "time" (KwargTime) with the scheduled time it stands for,
// whatever the interval, and "interval" (KwargInterval); it also has the
// reference's names for the scheduled time, "timestamp" for the 1-second
// and 1-minute timers and "trigger_time" for the others. RemoveTimer
// removes one timer, Clear removes every hook and every timer.
//
// # Registry
//
// Hooks are kept in a map (exact topics) and in a subscription tree (generic
// topics, package index). The hooks each exact topic reaches are computed
// once and cached by the loop; any registry change invalidates the cache, so
// the next message sees it. The cache holds at most a configured number of
// topics (two generations: when the newer fills up, the older is dropped), so
// it needs no sweeper and its memory is bounded.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/eventengine/eventengine/clock"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/queue"
	"github.com/eventengine/eventengine/topic"
)

// DefaultCapacity is the queue capacity of an engine made without
// WithCapacity, as in the reference.
const DefaultCapacity = 4095

// DefaultFollowUpLimit is the default number of follow-ups the loop keeps
// (see WithFollowUpLimit): 65,536 messages, some megabytes at most.
const DefaultFollowUpLimit = 1 << 16

// DefaultCacheSize is the number of exact topics per generation whose
// routes the dispatch loop caches at first; without WithCacheSize the cache
// grows while the topics in use do not fit (up to MaxCacheSize).
const DefaultCacheSize = 8192

// Errors. ErrFull, ErrEmpty, ErrClosed and ErrOption are the queue
// package's, so errors.Is works with either name.
var (
	ErrFull       = queue.ErrFull
	ErrEmpty      = queue.ErrEmpty
	ErrClosed     = queue.ErrClosed
	ErrNotExact   = errors.New("topic is not exact")
	ErrZeroTopic  = errors.New("zero topic")
	ErrRunning    = errors.New("engine is running")
	ErrNotRunning = errors.New("engine is not running")
	ErrHookExists = errors.New("another hook holds the topic")
	ErrNoHook     = errors.New("no hook for the topic")
	ErrNoHandler  = errors.New("no such handler in the hook")
	ErrOption     = queue.ErrOption
	ErrNilHook    = errors.New("nil hook")
	// ErrPanic wraps the value of a panic that the Recover middleware
	// turned into an error.
	ErrPanic = errors.New("handler panicked")
)

// Option configures an Engine. An option given an invalid value makes New
// return an error wrapping ErrOption that names the option and the value,
// as the queue package's options do; a nil Option is ignored.
type Option func(*config) error

type config struct {
	capacity   int
	maxSpin    int
	logger     *slog.Logger
	stats      bool
	clock      clock.Clock
	cacheSize  int
	cacheFixed bool // WithCacheSize: the route cache does not grow
	idleSpin   time.Duration
	ioYield    time.Duration
	followUps  int
	// middleware wraps every subscription's handler (middleware.go)
	middleware []Middleware
	slow       time.Duration // WithSlowHandler
}

// WithCapacity sets the queue capacity (at least 1; default DefaultCapacity).
func WithCapacity(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithCapacity(%d): the capacity must be at least 1", ErrOption, n)
		}
		c.capacity = n
		return nil
	}
}

// WithMaxSpin sets how many times a blocked put or get retries before it
// parks (the reference's max_spin; default queue.DefaultMaxSpin).
func WithMaxSpin(n int) Option {
	// The queue checks the value: New returns queue.New's error.
	return func(c *config) error { c.maxSpin = n; return nil }
}

// WithIdleSpin sets the longest the loop keeps spinning on an empty queue
// before it parks (default queue.DefaultIdleSpin, 1 ms; see
// queue.WithIdleSpin). Within it the loop spins for twice the recent gaps
// between messages, so a feed arriving in bursts finds it awake instead of
// paying a wake-up for the first message of each burst (the demo's default
// feed: BenchmarkEngineBursts). The trade: while messages keep coming at
// gaps under d, the loop keeps a core busy; an idle engine's loop spins at
// most once, for at most d, then parks and uses no CPU. 0 turns it off, as
// does WithMaxSpin(0); a negative d is an error wrapping ErrOption (the
// queue's check).
func WithIdleSpin(d time.Duration) Option {
	return func(c *config) error { c.idleSpin = d; return nil }
}

// WithIOYield makes the loop park at least every d while it keeps finding
// messages within its spin (see queue.WithIOYield), so that the goroutines
// of network connections in the same process get a processor: Go's
// scheduler looks for them when a processor is idle, else only every 10 ms.
// Use it in a process that does network I/O beside a busy engine, such as
// one bridged to NATS (natsbridge; 500 us there took the p50 of a bridged
// pair fed at 100k msgs/s from 15 ms to 0.9 ms, BenchmarkLatency). The
// cost is one wake-up, some tens of microseconds, every d of continuous
// spinning. 0, the default, turns it off; a negative d is an error
// wrapping ErrOption (the queue's check).
func WithIOYield(d time.Duration) Option {
	return func(c *config) error { c.ioYield = d; return nil }
}

// SetParkWhenIdle makes the loop park as soon as it finds the queue empty
// (on), instead of spinning first (WithMaxSpin, WithIdleSpin), or restores
// the spin (off); it returns the previous setting and may be called at any
// time (see queue.Queue.SetParkWhenEmpty). Go's scheduler polls the network
// when a processor has nothing to run, and otherwise only every 10 ms: a
// loop that spins through the gaps between messages delays every network
// read of its process. natsbridge turns it on for an engine bridged over a
// socket: two bridged engines fed at 100k msgs/s then deliver with about
// the raw connections' p50, several times better than with WithIOYield
// (natsbridge BenchmarkLatency, BenchmarkLatencyIOYield,
// BenchmarkRawLatency; figures in docs/benchmarks.md).
// The cost is a wake-up, some tens of microseconds, for the first message
// after each gap, and no CPU while idle.
func (e *Engine) SetParkWhenIdle(on bool) (was bool) { return e.q.SetParkWhenEmpty(on) }

// WithLogger sets the logger of the engine and of the hooks it creates
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: WithLogger(nil): give a logger (slog.Default() is the default)", ErrOption)
		}
		c.logger = l
		return nil
	}
}

// WithHandlerStats makes the hooks the engine creates extended hooks that
// time every handler call (event.WithStats).
func WithHandlerStats() Option {
	return func(c *config) error { c.stats = true; return nil }
}

// WithClock sets the clock the timers use, and the hooks the engine creates
// for their panic summaries (default clock.Real; see event.WithPanicLog).
func WithClock(clk clock.Clock) Option {
	return func(c *config) error {
		if clk == nil {
			return fmt.Errorf("%w: WithClock(nil): give a clock (clock.Real is the default)", ErrOption)
		}
		c.clock = clk
		return nil
	}
}

// WithCacheSize fixes how many exact topics the dispatch loop keeps routes
// for in each of its two cache generations. Without it the cache starts at
// DefaultCacheSize and grows while the topics in use do not fit.
func WithCacheSize(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: WithCacheSize(%d): the cache size must be at least 1", ErrOption, n)
		}
		c.cacheSize, c.cacheFixed = n, true
		return nil
	}
}

// WithFollowUpLimit sets how many follow-ups (messages that handlers
// publish with a blocking put while the queue is full, or during Shutdown)
// the loop keeps beside the queue at most (default DefaultFollowUpLimit;
// 0 keeps none: such a put returns ErrFull at once). See Put.
func WithFollowUpLimit(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: WithFollowUpLimit(%d): the limit cannot be negative (0 keeps no follow-ups)", ErrOption, n)
		}
		c.followUps = n
		return nil
	}
}

// item is what the queue holds: a message packed into 24 bytes, so that a
// queue slot (an 8-byte stamp and the item) is 32 bytes and one 64-byte
// cache line holds two slots: a producer and the loop hand a line over once
// every two messages (see queue's slot). The topic is kept as is; Args as a
// pointer to its first element and its length, so the loop rebuilds it as
// Args[:len:len] (handlers see a capacity equal to the length); Kwargs, rare
// on hot paths, is not in the item: a message that has it is marked by
// hasKwargs in n, and the map waits in the engine's kw array at the
// message's queue position, written by the producer before the queue
// publishes the item (queue.TryPutAt) and taken (and cleared) by the
// consumer before the queue can hand that position to another put.
type item struct {
	t    topic.Topic
	args unsafe.Pointer // unsafe.SliceData(Args): nil for a nil slice
	n    uint64         // len(Args) | hasKwargs if Kwargs != nil
}

// hasKwargs marks an item whose message has Kwargs. A slice of any has
// fewer than 1<<59 elements, so the length never reaches this bit.
const hasKwargs = uint64(1) << 63

// The build fails if item is not 24 bytes (on a 64-bit platform: two
// pointers and a uint64), or if event.Message changes size or moves a
// field (pack and unpack would then have to follow). Its one unexported
// field, the hook delivering it, is set by the hook and never queued.
var (
	_ [2*ptrSize + 8 - unsafe.Sizeof(item{})]byte
	_ [unsafe.Sizeof(item{}) - (2*ptrSize + 8)]byte
	_ [6*ptrSize + 8 - unsafe.Sizeof(event.Message{})]byte
	_ [unsafe.Sizeof(event.Message{}) - (6*ptrSize + 8)]byte
	_ [unsafe.Offsetof(event.Message{}.Seq) - 5*ptrSize]byte
	_ [5*ptrSize - unsafe.Offsetof(event.Message{}.Seq)]byte
)

// ptrSize is the size of a pointer: 8 bytes on the 64-bit platforms the
// layout is tuned for, 4 on the others (where the checks above still hold).
const ptrSize = unsafe.Sizeof(uintptr(0))

// pack makes the queued item of m (its Kwargs are stored apart, see item).
func pack(m event.Message) item {
	n := uint64(len(m.Args))
	if m.Kwargs != nil {
		n |= hasKwargs
	}
	return item{t: m.Topic, args: unsafe.Pointer(unsafe.SliceData(m.Args)), n: n}
}

// message fills *m with the message of it, taken from queue position
// seq-1, but for its Kwargs (see unpack). Its sequence id is the queue
// position plus one plus the follow-ups delivered before it (see
// followUps). It is inlined, in deliver too (the call would cost a few
// nanoseconds a message: BenchmarkDeliver); it fills a message rather than
// returning one, because the inlined result was built in a temporary that
// was then zeroed and copied (go tool objdump of deliver).
func (e *Engine) message(m *event.Message, it *item, seq uint64) {
	m.Topic, m.Args, m.Seq = it.t, argsOf(it.args, it.n&lenMask), seq+e.fu.shift
}

// unpack rebuilds the message of it, taken from queue position seq-1, and
// takes its Kwargs out of kw. Only the consumer calls it (the loop, or a
// Get while the loop does not run), while the queue still counts the item
// (inside Consume's fn).
func (e *Engine) unpack(it *item, seq uint64) event.Message {
	var m event.Message
	e.message(&m, it, seq)
	if it.n&hasValue != 0 {
		valueTaken(&m, it.args, seq) // a typed payload (typed.go): a copy
	}
	if it.n&hasKwargs != 0 {
		m.Kwargs = e.takeKwargs(seq)
	}
	return m
}

// argsOf rebuilds the Args of a message from its first element and length,
// with a capacity equal to the length. It is unsafe.Slice without its
// checks (a nil pointer with a length, a length that overflows), which
// cannot fail here: the pointer and length come from a slice. The checks
// cost measurably on every message (BenchmarkArgsOf), so argsOf keeps its
// slice header.
func argsOf(p unsafe.Pointer, n uint64) []any {
	return *(*[]any)(unsafe.Pointer(&sliceHeader{p, int(n), int(n)}))
}

// sliceHeader is the layout of a slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// takeKwargs takes the Kwargs of the message of sequence id seq out of kw.
//
//go:noinline
func (e *Engine) takeKwargs(seq uint64) map[string]any {
	i := (seq - 1) & e.kwMask
	kw := e.kw[i]
	e.kw[i] = nil // drop the reference for the GC
	return kw
}

// keepKwargs returns the function that stores kwargs at a claimed queue
// position (see item), or nil if kwargs is nil. It is inlined, so the
// function it returns does not escape and needs no allocation.
func (e *Engine) keepKwargs(kwargs map[string]any) func(pos uint64) {
	if kwargs == nil {
		return nil
	}
	return func(pos uint64) { e.kw[pos&e.kwMask] = kwargs }
}

// Engine is an event engine. Its methods are safe for concurrent use.
type Engine struct {
	q   *queue.Queue[item]
	cfg config
	// kw holds the Kwargs of queued messages by queue position (see item):
	// a power of two of entries, at least the capacity.
	kw     []map[string]any
	kwMask uint64
	reg    registry
	rings  rings // typed payloads by type (typed.go)

	// lifecycle, guarded by mu
	mu      sync.Mutex
	running bool // a loop runs, or is ending (until end)
	cur     *run // the current run while running
	// restart is set by a Start from a handler while the loop is
	// stopping: the loop starts again when it ends (see Start).
	restart bool
	// stopping is the stop signal, read by deliver after every message.
	// Only halt sets it (for Stop, Shutdown and the end of Run's
	// context), together with ending the run's context, which the loop's
	// waits and the timers watch: one signal, two ways to read it.
	stopping atomic.Bool
	active   atomic.Bool
	loopG    atomic.Uintptr // self() of the running loop's goroutine, 0 if none
	// pull lets Get and TryGet take messages while the loop does not run.
	pull pull

	// counters off the hot path
	gets     atomic.Uint64
	refused  atomic.Uint64
	waited   atomic.Uint64
	selfFull atomic.Uint64
	// warnedMapArg: a put got a map[string]any as its last argument (send.go)
	warnedMapArg atomic.Bool
	restarts     atomic.Uint64

	cache     routeCache // owned by the loop goroutine
	gatherLag int        // min(gatherLag, capacity/2): see loop

	// fu keeps the follow-ups of handlers that found no room (see
	// followUps).
	fu followUps
	// hand is the message the loop is delivering to more than one hook,
	// handHooks its hooks and handAt the index of the hook it is in, so
	// that the hooks after one whose handler called runtime.Goexit still
	// get it (see dispatch, loopExited). Loop-owned.
	// handAfter says the AfterDelivery hook comes after its hooks (index
	// len(handHooks)); a message is in hand while handHooks is not nil or
	// handAfter is set.
	hand      event.Message
	handHooks []*event.Hook
	handAt    int
	handAfter bool

	// after holds the AfterDelivery functions, made on first use;
	// afterOn says it has any (read by the loop once a message).
	afterMu sync.Mutex
	after   atomic.Pointer[event.Hook]
	afterOn atomic.Bool

	timers timers
}

// New returns a stopped engine.
func New(opts ...Option) (*Engine, error) {
	cfg := config{
		capacity:  DefaultCapacity,
		maxSpin:   queue.DefaultMaxSpin,
		idleSpin:  queue.DefaultIdleSpin,
		clock:     clock.Real,
		cacheSize: DefaultCacheSize,
		followUps: DefaultFollowUpLimit,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	q, err := queue.New[item](cfg.capacity, queue.WithMaxSpin(cfg.maxSpin), queue.WithIdleSpin(cfg.idleSpin), queue.WithIOYield(cfg.ioYield))
	if err != nil {
		return nil, err
	}
	size := uint64(1) << bits.Len64(uint64(cfg.capacity-1))
	e := &Engine{q: q, cfg: cfg, kw: make([]map[string]any, size), kwMask: size - 1,
		gatherLag: max(1, min(gatherLag, cfg.capacity/2))}
	e.reg.init()
	e.timers.e = e
	e.reg.added = e.timers.registered
	e.cache.init(cfg.cacheSize, cfg.cacheFixed)
	e.fu.init(cfg.followUps)
	e.pull.init()
	return e, nil
}

// MustNew is like New but panics on an invalid option; for examples and
// tests.
func MustNew(opts ...Option) *Engine {
	e, err := New(opts...)
	if err != nil {
		panic(err)
	}
	return e
}

// Logger returns the engine's logger.
func (e *Engine) Logger() *slog.Logger {
	if e.cfg.logger != nil {
		return e.cfg.logger
	}
	return slog.Default()
}

// Capacity returns the queue capacity.
func (e *Engine) Capacity() int { return e.q.Cap() }

// Occupied returns the number of messages queued now (never above Capacity).
func (e *Engine) Occupied() int { return e.q.Len() }

// Active reports whether the dispatch loop is running.
func (e *Engine) Active() bool { return e.active.Load() }

// run is one run of the dispatch loop, from begin to end.
type run struct {
	ctx    context.Context // ended by halt, and with Run's context
	cancel context.CancelFunc
	done   chan struct{} // closed by end
	unhook func() bool   // stops watching Run's context
	byCall atomic.Bool   // Stop or Shutdown halted the run (not Run's context)
}

// Start runs the dispatch loop in a new goroutine and returns once it is
// active. Starting a running engine does nothing but log.
//
// Starting a stopping engine (a Stop, or a Shutdown whose context ended,
// waits for the message in hand) waits for its loop to end and then starts
// it again. Called from a handler, Start cannot wait for the loop it runs
// on: it makes the loop start again once it has ended. So a handler that
// calls Stop and then Start leaves the engine running (the timers restart
// with it), as the same calls made anywhere else do; a Stop after the Start
// cancels it again.
func (e *Engine) Start() {
	if r, ok := e.begin(context.Background(), true, false); ok {
		go e.loop(r, false)
	}
}

// Run runs the dispatch loop on the calling goroutine until Stop, Shutdown or
// the end of ctx. It returns ErrRunning if the loop already runs, ctx.Err()
// if ctx ended the loop, and nil otherwise. The end of ctx stops the loop
// as Stop does: after the message in hand, even while messages keep coming.
// If a handler ends Run's goroutine (runtime.Goexit), the loop goes on in
// a new goroutine until Stop, Shutdown or the end of ctx (see Stats.LoopRestarts).
func (e *Engine) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	r, ok := e.begin(ctx, true, false)
	if !ok {
		return ErrRunning
	}
	e.loop(r, false)
	if ctx.Err() != nil && !r.byCall.Load() {
		return ctx.Err()
	}
	return nil
}

// begin marks the engine running and starts its timers; reopen reopens a
// shut-down queue, and quiet says nothing when the engine already runs
// (Shutdown's restarts). On a stopping engine it waits for the loop to end
// first, unless it is called from that loop's goroutine: then it sets
// restart and returns false.
func (e *Engine) begin(parent context.Context, reopen, quiet bool) (*run, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for e.running {
		if !e.stopping.Load() {
			if !quiet {
				e.Logger().Warn("eventengine: start ignored: engine already running")
			}
			return nil, false
		}
		if e.onLoop() {
			e.restart = true
			return nil, false
		}
		done := e.cur.done
		e.mu.Unlock()
		select {
		case <-done:
		case <-parent.Done():
		}
		e.mu.Lock()
		if parent.Err() != nil && e.running {
			return nil, false
		}
	}
	if reopen && e.q.Closed() {
		e.q.Reopen()
	}
	e.pull.close() // a Get under way returns ErrRunning
	ctx, cancel := context.WithCancel(parent)
	r := &run{ctx: ctx, cancel: cancel, done: make(chan struct{})}
	r.unhook = context.AfterFunc(parent, func() { e.halt(r, false) })
	e.running = true
	e.cur = r
	e.restart = false
	e.stopping.Store(false)
	e.active.Store(true)
	e.timers.start(e, ctx)
	return r, true
}

// halt is the one way a run is told to stop: it raises the stop signal
// (stopping, read after every message) and ends the run's context (which
// the loop's waits and the timers watch), and cancels a restart a handler
// asked for. It does not wait. byCall tells Stop and Shutdown from the end
// of Run's context.
func (e *Engine) halt(r *run, byCall bool) {
	e.mu.Lock()
	if e.cur == r {
		e.stopping.Store(true)
		e.restart = false
		if byCall {
			r.byCall.Store(true)
		}
	}
	e.mu.Unlock()
	r.cancel()
}

// loop delivers messages until the run is halted or a shut-down queue
// drains, then ends the run. resume is set for a loop that takes over
// from a goroutine a handler ended (see loopExited): it first delivers the
// message in hand to the hooks after the one whose handler exited.
func (e *Engine) loop(r *run, resume bool) {
	e.loopG.Store(self())
	ended := false
	defer func() {
		if !ended {
			e.loopExited(r)
		}
	}()
	if resume && (e.handHooks != nil || e.handAfter) {
		e.dispatchFrom(e.handAt + 1)
	}
	e.drive(r)
	ended = true
	e.end(r)
}

// drive is the loop proper: follow-ups that are due, then batches from the
// queue, until the run is halted or a shut-down queue and the follow-ups
// are drained.
func (e *Engine) drive(r *run) {
	done := r.ctx.Done()
	f := &e.fu
	for !e.stopping.Load() {
		select {
		case <-done:
			return // seen here at once, before halt's flag, for Run's context
		default:
		}
		if f.due <= e.q.Taken() {
			e.deliverDue()
			continue
		}
		n, err := e.q.Consume(r.ctx, batchSize, e.deliver)
		e.cache.age(n)
		if err != nil {
			if errors.Is(err, ErrClosed) && f.due != noDue {
				continue // shut down and drained: the follow-ups left are due
			}
			return // halted, or the queue was closed and drained (Shutdown)
		}
		if n == batchSize && f.due == noDue {
			// A full batch: messages come at least as fast as the loop
			// delivers them. Let a backlog build up before the next batch,
			// so that the loop reads cache lines the producers are done
			// with (see queue.Gather).
			e.q.Gather(e.gatherLag, gatherWait)
		}
	}
}

// batchSize is how many messages the loop takes from the queue at a time.
const batchSize = 64

// After a full batch the loop waits up to gatherWait for gatherLag messages
// to be queued (128 cache lines of slots; half the capacity if that is
// less, so that the backlog can build up) before it takes the next batch,
// so that it stops chasing the producer's cache lines (BenchmarkEngine1P1C,
// BenchmarkEngine4P1C; figures in docs/benchmarks.md). A message at the end
// of a burst waits at most gatherWait more; paced messages (batches of one)
// do not wait.
const (
	gatherLag  = 256
	gatherWait = 2 * time.Microsecond
)

// deliver dispatches one message, in place in the queue's slot, and tells
// the queue whether to go on: not once the run is halted, nor after the
// message that the first follow-up waits for (see followUps).
func (e *Engine) deliver(it *item, seq uint64) bool {
	// The slot is only read, so the loop never writes a cache line a
	// producer may be writing (but kw, for a message with Kwargs).
	// The common case of route (the previous message's topic, the
	// registry unchanged) is written out: route is not inlined, and the
	// call costs several nanoseconds a message (BenchmarkDeliver).
	// unpack, whose call would cost as much as message's (it is not
	// inlined), with one test for the rare Kwargs and typed payloads:
	var m event.Message
	e.message(&m, it, seq)
	if n := it.n; n&(hasKwargs|hasValue) != 0 {
		if n&hasValue != 0 {
			valueArgs(&m, it.args, seq) // a typed payload (typed.go)
		}
		if n&hasKwargs != 0 {
			m.Kwargs = e.takeKwargs(seq)
		}
	}
	c := &e.cache
	hooks := c.lastHooks
	if m.Topic != c.lastTopic || e.reg.gen.Load() != c.gen {
		hooks = e.route(m.Topic)
	}
	if len(hooks) > 1 || e.afterOn.Load() {
		e.dispatch(m, hooks)
	} else {
		for _, h := range hooks { // dispatch's case of one hook (or none)
			h.Trigger(m)
		}
	}
	if it.n&hasValue != 0 {
		valueDone(it.args, seq) // after a runtime.Goexit it stays: overwritten later
	}
	return seq != e.fu.due && !e.stopping.Load()
}

// dispatch triggers hooks with m. For more than one hook it keeps m, the
// hooks and the index of the hook it is in, so that the hooks after one
// whose handler called runtime.Goexit still get m (see loopExited); with
// one hook there is nothing to keep: the hook gives m to the handlers
// after the one that exited itself. Keeping costs a few nanoseconds a
// message (BenchmarkDeliver), so the common case of one hook does not.
// With AfterDelivery functions it keeps m whatever the number of hooks,
// so that they run after the hooks even when a handler ended the loop's
// goroutine.
func (e *Engine) dispatch(m event.Message, hooks []*event.Hook) {
	after := e.afterOn.Load()
	if len(hooks) == 1 && !after {
		hooks[0].Trigger(m)
		return
	}
	e.hand, e.handHooks, e.handAfter = m, hooks, after
	e.dispatchFrom(0)
}

// dispatchFrom triggers the kept hooks from index i on with the kept
// message, then the AfterDelivery hook if it is kept (index
// len(handHooks)), then forgets them.
func (e *Engine) dispatchFrom(i int) {
	for e.handAt = i; e.handAt < len(e.handHooks); e.handAt++ {
		e.handHooks[e.handAt].Trigger(e.hand)
	}
	if e.handAfter && e.handAt == len(e.handHooks) {
		e.after.Load().Trigger(e.hand)
	}
	e.hand, e.handHooks, e.handAfter = event.Message{}, nil, false
}

// loopExited runs when the loop's goroutine ends in the middle of the
// loop: a handler called runtime.Goexit (t.FailNow in a test, say). The
// hook of that handler has already given the message to its other
// handlers (event.Hook.Trigger); the loop goes on in a new goroutine, which
// first gives the message to the hooks after that one. The queue counts
// the message as taken (queue.TryConsume). A panic escaping the loop
// (never a handler's: hooks recover those) still crashes the program, but
// the loop goes on meanwhile.
func (e *Engine) loopExited(r *run) {
	e.loopG.Store(0)
	e.restarts.Add(1)
	e.Logger().Error("eventengine: a handler ended the dispatch loop's goroutine (runtime.Goexit); the loop goes on in a new goroutine",
		slog.Uint64("restarts", e.restarts.Load()))
	go e.loop(r, true)
}

// end marks the engine stopped after the loop returned, and starts it
// again if a handler asked for that (see Start).
func (e *Engine) end(r *run) {
	e.loopG.Store(0)
	r.unhook()
	r.cancel() // stops the timers when the loop ended on its own
	e.timers.wait()
	e.mu.Lock()
	e.running = false
	e.cur = nil
	e.active.Store(false)
	restart := e.restart
	e.restart = false
	e.pull.open()
	e.mu.Unlock()
	close(r.done)
	if restart {
		e.Start()
	}
}

// Stop ends the dispatch loop after the message in hand and returns once the
// loop and the timers have finished. Messages still queued stay queued, and
// so do follow-ups waiting for them (see Put). Stopping a stopped engine
// does nothing but log. Called from a handler, Stop cannot wait for the
// loop it runs on: it returns at once and the loop ends when the handler
// returns.
func (e *Engine) Stop() {
	e.mu.Lock()
	r := e.cur
	e.mu.Unlock()
	if r == nil {
		e.Logger().Warn("eventengine: stop ignored: engine not running")
		return
	}
	e.halt(r, true)
	if e.onLoop() {
		return
	}
	<-r.done
}

// Shutdown refuses new puts from other goroutines (they return ErrClosed),
// delivers every message already queued and every follow-up the handlers
// publish meanwhile (see Put), and stops once the queue is empty and no
// handler runs. If the engine is not running, or its loop ends with
// messages still queued (a Stop from a handler or another goroutine while
// Shutdown waits), the loop is started again to deliver them. A later
// Start reopens the queue.
//
// If ctx ends first, Shutdown returns ctx.Err() at once, without waiting
// for a handler that blocks: the loop is told to stop after the message in
// hand (Active reports true until that handler returns), the queue stays
// closed, and what is undelivered stays queued; a later Shutdown goes on
// draining, a later Start (which waits for the loop to end) reopens the
// queue and delivers it.
//
// Called from a handler, Shutdown cannot wait for its own loop to drain:
// it changes nothing and returns an error wrapping ErrRunning. A handler
// that wants the engine shut down calls go e.Shutdown(ctx), or Stop.
func (e *Engine) Shutdown(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if e.onLoop() {
		return fmt.Errorf("shutdown: %w: called from a handler, it cannot wait for its own loop to drain (use go e.Shutdown(ctx), or Stop)", ErrRunning)
	}
	for {
		// Closed again each round: a handler's Stop and Start meanwhile
		// reopens the queue, and the loop it restarts must drain too.
		e.q.Close()
		e.mu.Lock()
		r := e.cur
		e.mu.Unlock()
		if r == nil {
			if e.q.Len() == 0 && e.fu.pending() == 0 {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			// Either this call starts the loop, or another Start or
			// Shutdown did just now; look again either way.
			if r, ok := e.begin(ctx, false, true); ok {
				go e.loop(r, false)
			}
			continue
		}
		select {
		case <-r.done:
			// The loop ended: drained, or stopped early; look again.
		case <-ctx.Done():
			e.halt(r, true)
			return ctx.Err()
		}
	}
}

// onLoop reports whether the caller runs on the dispatch loop's goroutine:
// whether it is a handler (see self for its cost).
func (e *Engine) onLoop() bool {
	id := e.loopG.Load()
	return id != 0 && id == self()
}

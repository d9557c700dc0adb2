// Package engine is the event engine: a bounded queue that many goroutines
// publish into and one dispatch loop that delivers every message, in FIFO
// order, to the hook of its exact topic and then to every generic (wildcard)
// hook whose topic matches it.
//
//	e := engine.MustNew()
//	sub, err := engine.SubscribeValue(e, "Market.Data.{symbol}", func(m event.Message, t Tick) {
//		fmt.Println(m.Param("symbol"), t.Price) // the symbol the wildcard bound
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
//     is an error logged and counted for the subscription.
//   - In a handler, [event.Message.Param] reads what a wildcard of the
//     subscription bound, without matching again; [event.ArgErr] and
//     [event.Value] read arguments and say why one is not there.
//   - [WithMiddleware] wraps every subscription's handler (timing,
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
//   - Stop ends the loop after the message in hand; messages still queued stay
//     queued. A later Start delivers them, or Get takes them. Nothing
//     accepted is dropped.
//   - Shutdown refuses new puts (ErrClosed), delivers everything queued, then
//     stops. A later Start reopens the queue.
//   - A handler may publish, register and unregister. A blocking put made
//     from the loop's own goroutine while the queue is full would wait for
//     itself forever, so it returns ErrFull instead (see Put).
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
	"github.com/eventengine/eventengine/internal/goid"
	"github.com/eventengine/eventengine/queue"
	"github.com/eventengine/eventengine/topic"
)

// DefaultCapacity is the queue capacity of an engine made without
// WithCapacity, as in the reference.
const DefaultCapacity = 4095

// DefaultCacheSize is the default number of exact topics whose routes the
// dispatch loop caches (per generation).
const DefaultCacheSize = 8192

// Errors. ErrFull, ErrEmpty and ErrClosed are the queue package's, so
// errors.Is works with either name.
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
	ErrOption     = errors.New("invalid option")
	// ErrPanic wraps the value of a panic that the Recover middleware
	// turned into an error.
	ErrPanic = errors.New("handler panicked")
)

// Option configures an Engine.
type Option func(*config) error

type config struct {
	capacity  int
	maxSpin   int
	logger    *slog.Logger
	stats     bool
	clock     clock.Clock
	cacheSize int
	// middleware wraps every subscription's handler (middleware.go)
	middleware []Middleware
	slow       time.Duration // WithSlowHandler
}

// WithCapacity sets the queue capacity (at least 1; default DefaultCapacity).
func WithCapacity(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: capacity %d, want at least 1", ErrOption, n)
		}
		c.capacity = n
		return nil
	}
}

// WithMaxSpin sets how many times a blocked put or get retries before it
// parks (the reference's max_spin; default queue.DefaultMaxSpin).
func WithMaxSpin(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: max spin %d, want at least 0", ErrOption, n)
		}
		c.maxSpin = n
		return nil
	}
}

// WithLogger sets the logger of the engine and of the hooks it creates
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrOption)
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

// WithClock sets the clock the timers use (default clock.Real).
func WithClock(clk clock.Clock) Option {
	return func(c *config) error {
		if clk == nil {
			return fmt.Errorf("%w: nil clock", ErrOption)
		}
		c.clock = clk
		return nil
	}
}

// WithCacheSize sets how many exact topics the dispatch loop keeps routes for
// in each of its two cache generations (default DefaultCacheSize).
func WithCacheSize(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: cache size %d, want at least 1", ErrOption, n)
		}
		c.cacheSize = n
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

// The build fails if item is not 24 bytes, or if event.Message changes
// size or moves a field (pack and unpack would then have to follow). Its
// one unexported field, the hook delivering it, is set by the hook and
// never queued.
var (
	_ [24 - unsafe.Sizeof(item{})]byte
	_ [unsafe.Sizeof(item{}) - 24]byte
	_ [56 - unsafe.Sizeof(event.Message{})]byte
	_ [unsafe.Sizeof(event.Message{}) - 56]byte
	_ [unsafe.Offsetof(event.Message{}.Seq) - 40]byte
	_ [40 - unsafe.Offsetof(event.Message{}.Seq)]byte
)

// pack makes the queued item of m (its Kwargs are stored apart, see item).
func pack(m event.Message) item {
	n := uint64(len(m.Args))
	if m.Kwargs != nil {
		n |= hasKwargs
	}
	return item{t: m.Topic, args: unsafe.Pointer(unsafe.SliceData(m.Args)), n: n}
}

// unpack rebuilds the message of it, taken from queue position seq-1, and
// takes its Kwargs out of kw. Only the consumer calls it, while the queue
// still counts the item (inside Consume's fn).
func (e *Engine) unpack(it *item, seq uint64) event.Message {
	n := it.n
	m := event.Message{Topic: it.t, Args: argsOf(it.args, n&lenMask), Seq: seq}
	if n&hasValue != 0 {
		valueTaken(&m, it.args, seq)
	}
	if n&hasKwargs != 0 {
		m.Kwargs = e.takeKwargs(seq)
	}
	return m
}

// argsOf rebuilds the Args of a message from its first element and length,
// with a capacity equal to the length. It is unsafe.Slice without its
// checks, which cannot fail here (the pointer and length come from a
// slice) and cost a multiplication and two branches per message.
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
	mu       sync.Mutex
	running  bool
	cancel   context.CancelFunc
	done     chan struct{}
	stopping atomic.Bool
	active   atomic.Bool
	loopG    atomic.Uint64 // goroutine id of the running loop, 0 if none

	// counters off the hot path
	gets     atomic.Uint64
	refused  atomic.Uint64
	waited   atomic.Uint64
	selfFull atomic.Uint64

	cache     routeCache // owned by the loop goroutine
	gatherLag int        // min(gatherLag, capacity/2): see loop

	timers timers
}

// New returns a stopped engine.
func New(opts ...Option) (*Engine, error) {
	cfg := config{
		capacity:  DefaultCapacity,
		maxSpin:   queue.DefaultMaxSpin,
		clock:     clock.Real,
		cacheSize: DefaultCacheSize,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	q, err := queue.New[item](cfg.capacity, queue.WithMaxSpin(cfg.maxSpin))
	if err != nil {
		return nil, err
	}
	size := uint64(1) << bits.Len64(uint64(cfg.capacity-1))
	e := &Engine{q: q, cfg: cfg, kw: make([]map[string]any, size), kwMask: size - 1,
		gatherLag: max(1, min(gatherLag, cfg.capacity/2))}
	e.reg.init()
	e.cache.init(cfg.cacheSize)
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

// Start runs the dispatch loop in a new goroutine and returns once it is
// active. Starting a running engine does nothing but log.
func (e *Engine) Start() {
	ctx, ok := e.begin(context.Background(), true)
	if !ok {
		return
	}
	go e.loop(ctx)
}

// Run runs the dispatch loop on the calling goroutine until Stop, Shutdown or
// the end of ctx. It returns ErrRunning if the loop already runs, ctx.Err()
// if ctx ended the loop, and nil otherwise.
func (e *Engine) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	lctx, ok := e.begin(ctx, true)
	if !ok {
		return ErrRunning
	}
	e.loop(lctx)
	if !e.stopping.Load() && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// begin marks the engine running and starts its timers; reopen reopens a
// shut-down queue.
func (e *Engine) begin(parent context.Context, reopen bool) (context.Context, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.running {
		e.Logger().Warn("eventengine: start ignored: engine already running")
		return nil, false
	}
	if reopen && e.q.Closed() {
		e.q.Reopen()
	}
	ctx, cancel := context.WithCancel(parent)
	e.running = true
	e.stopping.Store(false)
	e.active.Store(true)
	e.cancel = cancel
	e.done = make(chan struct{})
	e.timers.start(e, ctx)
	return ctx, true
}

// loop delivers messages until stopped, ctx ends or a shut-down queue drains.
func (e *Engine) loop(ctx context.Context) {
	e.loopG.Store(goid.Get())
	defer e.end()
	for !e.stopping.Load() {
		n, err := e.q.Consume(ctx, batchSize, e.deliver)
		if err != nil {
			return // ctx ended (Stop) or the queue was closed and drained (Shutdown)
		}
		if n == batchSize {
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
// less, so that the backlog can build up) before it takes the next batch.
// Measured on the 2-core VM with one producer, alternated runs: in the
// machine's fast state Engine1P1C 28.9 -> 20.9 ns (-28 %), Engine4P1C
// 27.8 -> 20.7 ns; in its slow state no change (51.7 vs 51.8 ns). A message
// at the end of a burst waits at most gatherWait more; paced messages
// (batches of one) do not wait.
const (
	gatherLag  = 256
	gatherWait = 2 * time.Microsecond
)

// deliver dispatches one message, in place in the queue's slot, and tells
// the queue whether to go on.
func (e *Engine) deliver(it *item, seq uint64) bool {
	// The slot is only read, so the loop never writes a cache line a
	// producer may be writing (but kw, for a message with Kwargs).
	// unpack and the common case of route (the previous message's topic,
	// the registry unchanged) written out: the compiler inlines neither,
	// and the calls cost about 10 ns a message (BenchmarkDeliver).
	n := it.n
	msg := event.Message{Topic: it.t, Args: argsOf(it.args, n&lenMask), Seq: seq}
	if n&(hasKwargs|hasValue) != 0 {
		if n&hasValue != 0 {
			valueArgs(&msg, it.args, seq) // a typed payload (typed.go)
		}
		if n&hasKwargs != 0 {
			msg.Kwargs = e.takeKwargs(seq)
		}
	}
	c := &e.cache
	hooks := c.lastHooks
	if msg.Topic != c.lastTopic || e.reg.gen.Load() != c.gen {
		hooks = e.route(msg.Topic)
	}
	for _, h := range hooks {
		h.Trigger(msg)
	}
	if n&hasValue != 0 {
		valueDone(it.args, seq) // after a runtime.Goexit it stays: overwritten later
	}
	return !e.stopping.Load()
}

// end marks the engine stopped after the loop returned.
func (e *Engine) end() {
	e.loopG.Store(0)
	e.mu.Lock()
	cancel, done := e.cancel, e.done
	e.mu.Unlock()
	cancel() // stops the timers when the loop ended on its own
	e.timers.wait()
	e.mu.Lock()
	e.running = false
	e.active.Store(false)
	e.cancel = nil
	e.mu.Unlock()
	close(done)
}

// Stop ends the dispatch loop after the message in hand and returns once the
// loop and the timers have finished. Messages still queued stay queued.
// Stopping a stopped engine does nothing but log. Called from a handler, Stop
// cannot wait for the loop it runs on: it returns at once and the loop ends
// when the handler returns.
func (e *Engine) Stop() {
	e.mu.Lock()
	if !e.running {
		e.mu.Unlock()
		e.Logger().Warn("eventengine: stop ignored: engine not running")
		return
	}
	e.stopping.Store(true)
	cancel, done := e.cancel, e.done
	e.mu.Unlock()
	cancel()
	if e.onLoop() {
		return
	}
	<-done
}

// Shutdown refuses new puts (they return ErrClosed), delivers every message
// already queued, and stops. If the engine is not running, or its loop ends
// with messages still queued (a Stop from a handler or another goroutine
// while Shutdown waits), the loop is started again to deliver them. If ctx
// ends first, the loop is stopped, the undelivered messages stay queued and
// ctx.Err() is returned. A later Start reopens the queue.
func (e *Engine) Shutdown(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	e.q.Close()
	if e.onLoop() {
		return fmt.Errorf("%w: Shutdown called from a handler cannot wait for its own loop", ErrRunning)
	}
	for {
		e.mu.Lock()
		running := e.running
		e.mu.Unlock()
		if !running {
			if e.q.Len() == 0 {
				return nil
			}
			// Either this call starts the loop, or another Start or
			// Shutdown did just now; both leave e.done to wait on.
			if lctx, ok := e.begin(context.Background(), false); ok {
				go e.loop(lctx)
			}
		}
		e.mu.Lock()
		done := e.done
		e.mu.Unlock()
		select {
		case <-done:
			// The loop ended: drained, or stopped early; look again.
		case <-ctx.Done():
			e.Stop()
			return ctx.Err()
		}
	}
}

// onLoop reports whether the caller runs on the dispatch loop's goroutine.
// It costs about a microsecond and is used on slow paths only.
func (e *Engine) onLoop() bool {
	id := e.loopG.Load()
	return id != 0 && id == goid.Get()
}

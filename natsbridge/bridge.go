// Package natsbridge connects an [engine.Engine] to NATS: local messages on
// configured topics are exported as NATS messages, and NATS subjects are
// imported as puts on the local engine, through its normal queue (local FIFO,
// hooks, statistics and backpressure apply). It lives in a module of its own
// so that the core module keeps depending on the standard library only; the
// embedded server is in package natsserver, so a client-only program does
// not link nats-server.
//
// Every exported message carries a small envelope: the origin (a random id
// of the sending bridge) and two sequences, one per origin and one per
// origin and topic. The receiver uses them to drop echoes and duplicates and
// to count losses (gaps) and reorderings. What the bridge keeps per topic
// is bounded (WithStateLimit): a topic idle while many others were used is
// forgotten, and its sequence then starts a new run, which the receiver
// recognises. A message imported from NATS is never exported again, so
// engines bridged both ways on the same subjects each deliver every
// message exactly once.
//
// Core NATS mode (the default) is at most once: order is kept per origin
// and every loss is counted. JetStream mode ([WithJetStream]) is durable:
// publishes are acknowledged, retried and de-duplicated by message id, and
// a durable consumer resumes after a restart. docs/bridge.md has the
// guarantees of each mode and what the statistics show.
package natsbridge

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/natsbridge/wire"
	"github.com/eventengine/eventengine/topic"
	"github.com/nats-io/nats.go"
)

// Errors.
var (
	ErrOption     = errors.New("natsbridge: invalid option")
	ErrStarted    = errors.New("natsbridge: bridge already started")
	ErrNotStarted = errors.New("natsbridge: bridge not started")
	// ErrPublish reports JetStream publishes that failed for good (the
	// stream refused them); Shutdown wraps it with the count.
	ErrPublish = errors.New("natsbridge: publish failed")
	// ErrPendingAcks reports JetStream publishes still unacknowledged when
	// Shutdown's context ended.
	ErrPendingAcks = errors.New("natsbridge: publishes still waiting for their ack")
)

// DefaultPrefix is the subject prefix of a bridge made without WithPrefix
// or WithMapper.
const DefaultPrefix = "eventengine"

// Option configures a Bridge.
type Option func(*config) error

type config struct {
	mapper      wire.Mapper
	codec       wire.Codec
	export      []topic.Topic
	exportSet   bool
	imports     []topic.Topic
	logger      *slog.Logger
	natsOpts    []nats.Option
	origin      uint64
	name        string
	pendingMsgs int
	js          *JetStream
	noShutdown  bool
	loopSpin    bool // WithLoopSpin: leave the engine's idle wait as it is
	inProcess   bool // InProcess: the connection is a pipe, not a socket
	stateLimit  int  // entries per generation of the per-topic tables (WithStateLimit)
}

// WithExport sets the local topics (subscription patterns) whose messages
// are published to NATS; default everything (">"). With no pattern,
// nothing is exported.
func WithExport(patterns ...topic.Topic) Option {
	return func(c *config) (err error) {
		c.export, err = checkPatterns("export", patterns)
		c.exportSet = true
		return err
	}
}

// WithImport sets the topics (subscription patterns) whose NATS messages
// are put on the local engine; default none. Each pattern becomes a NATS
// subscription (see wire.Mapper.Filter); the engine's own index then keeps
// only the topics the pattern matches.
func WithImport(patterns ...topic.Topic) Option {
	return func(c *config) (err error) {
		c.imports, err = checkPatterns("import", patterns)
		return err
	}
}

// checkPatterns returns a copy of patterns, or an error naming the first
// zero topic.
func checkPatterns(what string, patterns []topic.Topic) ([]topic.Topic, error) {
	for i, p := range patterns {
		if p.IsZero() {
			return nil, fmt.Errorf("%w: %s pattern %d is the zero topic", ErrOption, what, i)
		}
	}
	return append([]topic.Topic(nil), patterns...), nil
}

// WithPrefix sets the subject prefix (default DefaultPrefix; "" for none).
func WithPrefix(prefix string) Option {
	return func(c *config) error { c.mapper.Prefix = prefix; return nil }
}

// WithMapper sets the whole subject mapping (prefix, non-ASCII, limit).
func WithMapper(m wire.Mapper) Option {
	return func(c *config) error { c.mapper = m; return nil }
}

// WithCodec sets the codec of the arguments (default wire.Binary). Both
// sides of a subject must use the same codec.
func WithCodec(codec wire.Codec) Option {
	return func(c *config) error {
		if codec == nil {
			return fmt.Errorf("%w: nil codec", ErrOption)
		}
		c.codec = codec
		return nil
	}
}

// WithLogger sets the logger (default the engine's).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrOption)
		}
		c.logger = l
		return nil
	}
}

// WithNATSOptions adds options of the connection the bridge makes (for
// example natsserver's ConnectOption, credentials, nats.ReconnectBufSize or
// nats.ReconnectWait). The bridge adds its own handlers for statistics.
func WithNATSOptions(opts ...nats.Option) Option {
	return func(c *config) error { c.natsOpts = append(c.natsOpts, opts...); return nil }
}

// WithName sets the connection name shown by the server.
func WithName(name string) Option {
	return func(c *config) error { c.name = name; return nil }
}

// WithOrigin sets the bridge's origin id (default random). Two bridges
// must never share one: a receiver drops messages of its own origin, and
// JetStream de-duplicates by origin and sequence.
func WithOrigin(id uint64) Option {
	return func(c *config) error {
		if id == 0 {
			return fmt.Errorf("%w: origin 0", ErrOption)
		}
		c.origin = id
		return nil
	}
}

// WithPendingLimit sets how many received messages may wait for the
// engine in core NATS mode before the connection drops new ones as a slow
// consumer (default 65536); drops are counted in Stats.Dropped.SlowConsumer.
func WithPendingLimit(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("%w: pending limit %d, want at least 1", ErrOption, n)
		}
		c.pendingMsgs = n
		return nil
	}
}

// WithoutEngineShutdown makes Bridge.Shutdown leave the engine running: it
// then cannot be sure that every local message was exported.
func WithoutEngineShutdown() Option {
	return func(c *config) error { c.noShutdown = true; return nil }
}

// WithLoopSpin leaves the engine's loop spinning through the gaps between
// messages, as its options set it. By default Start makes the loop park as
// soon as it finds the queue empty (engine.Engine.SetParkWhenIdle), and
// Shutdown restores the setting: a loop that spins leaves no processor
// idle, and Go's scheduler then polls the network only every 10 ms, so
// every NATS read of the process waits up to that long
// (BenchmarkLatencySpinning against BenchmarkLatency; figures in
// docs/benchmarks.md). Use it when
// the process's network traffic does not matter and the engine's burst
// latency does. A bridge connected InProcess does not park the loop
// either: its connection is an in-memory pipe, which the network poller
// does not serve.
func WithLoopSpin() Option {
	return func(c *config) error { c.loopSpin = true; return nil }
}

// Bridge connects one engine to NATS. Make it with New, then Start it;
// Shutdown ends it. Its methods are safe for concurrent use.
type Bridge struct {
	e      *engine.Engine
	url    string
	cfg    config
	log    *slog.Logger
	origin uint64
	// patterns are the distinct export patterns and (in JetStream mode, or
	// when anything is exported) import patterns that the bridge hooks on
	// the engine (exports first); see route.
	patterns []topic.Topic

	mu      sync.Mutex // lifecycle
	started bool
	done    bool
	nc      *nats.Conn
	ncp     atomic.Pointer[nats.Conn] // nc, for Conn
	hookIDs []event.ID
	unafter func() // removes afterDelivery (JetStream imports)
	// parked says that Start made the engine's loop park when idle, and
	// wasParked what it was before (restored by Shutdown).
	parked, wasParked bool
	subMu             sync.Mutex // guards subs (Stats reads them)
	subs              []*nats.Subscription
	stopImp           chan struct{}
	impDone           chan struct{}
	closed            chan struct{}

	js  *jsState                // JetStream mode, nil otherwise; set by Start before the hooks
	jsp atomic.Pointer[jsState] // the same, for Stats

	// loop-side state: only the engine's dispatch loop touches these.
	// routes is bounded: see gens and WithStateLimit.
	routes gens[topic.Topic, *route]
	seq    uint64 // per-origin sequence of exported messages
	buf    []byte
	imp    importer

	st counters
}

// New returns a bridge of engine e to the NATS server at url (a
// comma-separated list of URLs is accepted, as in nats.Connect). It checks
// the options but does not connect; Start does.
func New(e *engine.Engine, url string, opts ...Option) (*Bridge, error) {
	if e == nil {
		return nil, fmt.Errorf("%w: nil engine", ErrOption)
	}
	cfg := config{mapper: wire.Mapper{Prefix: DefaultPrefix}, codec: wire.Binary, pendingMsgs: 65536,
		stateLimit: DefaultStateLimit}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if !cfg.exportSet {
		all, err := topic.Parse(">")
		if err == nil && all.IsExact() {
			err = errors.New("\">\" is a literal, not a wildcard, in this version of package topic")
		}
		if err != nil {
			return nil, fmt.Errorf("%w: the default export pattern \">\" is not supported here (%v): pass WithExport", ErrOption, err)
		}
		cfg.export = []topic.Topic{all}
	}
	b := &Bridge{e: e, url: url, cfg: cfg, origin: cfg.origin,
		routes: newGens[topic.Topic, *route](cfg.stateLimit)}
	b.log = cfg.logger
	if b.log == nil {
		b.log = e.Logger()
	}
	if b.origin == 0 {
		var r [8]byte
		for b.origin == 0 {
			rand.Read(r[:])
			b.origin = binary.LittleEndian.Uint64(r[:])
		}
	}
	if err := cfg.mapper.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOption, err)
	}
	// Check every pattern's filter now, so a bad one is an error of New.
	for _, p := range cfg.imports {
		if _, err := cfg.mapper.Filter(p); err != nil {
			return nil, fmt.Errorf("%w: import pattern %q: %v", ErrOption, p.String(), err)
		}
	}
	if cfg.js != nil {
		if err := cfg.js.check(cfg.mapper); err != nil {
			return nil, err
		}
	}
	// The hooks on the import patterns are there to recognise imported
	// messages (never exported again) and, in JetStream mode, to ack them:
	// a core NATS bridge that exports nothing needs none, and its loop then
	// pays no hook call and no route lookup for an imported message
	// (BenchmarkEndToEnd).
	hooked := append([]topic.Topic(nil), cfg.export...)
	if cfg.js != nil || len(cfg.export) > 0 {
		hooked = append(hooked, cfg.imports...)
	}
	seen := make(map[topic.Topic]bool)
	for _, p := range hooked {
		if !seen[p] {
			seen[p] = true
			b.patterns = append(b.patterns, p)
		}
	}
	b.imp.init(b)
	return b, nil
}

// Origin returns the bridge's origin id, carried by every message it
// exports.
func (b *Bridge) Origin() uint64 { return b.origin }

// Conn returns the bridge's NATS connection (nil before Start).
func (b *Bridge) Conn() *nats.Conn { return b.ncp.Load() }

// Start connects to NATS, sets up JetStream (stream and consumer) in that
// mode, subscribes to the import patterns and hooks the export patterns on
// the engine. ctx bounds the set-up. A bridge starts once.
func (b *Bridge) Start(ctx context.Context) (err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return ErrStarted
	}
	b.started = true
	defer func() {
		if err != nil {
			b.teardown()
		}
	}()
	b.closed = make(chan struct{})
	opts := []nats.Option{
		nats.MaxReconnects(-1),
		nats.NoEcho(), // its own exports never come back to it (JetStream deliveries do: see origin)
	}
	if b.cfg.name != "" {
		opts = append(opts, nats.Name(b.cfg.name))
	}
	opts = append(opts, b.cfg.natsOpts...)
	opts = append(opts, b.connHandlers()...)
	nc, err := nats.Connect(b.url, opts...)
	if err != nil {
		close(b.closed)
		return fmt.Errorf("natsbridge: connect to %s: %w", b.url, err)
	}
	b.nc = nc
	b.ncp.Store(nc)
	if b.cfg.js != nil {
		if b.js, err = b.startJetStream(ctx); err != nil {
			return err
		}
		b.jsp.Store(b.js)
	}
	if !b.cfg.loopSpin && !b.cfg.inProcess {
		b.parked, b.wasParked = true, b.e.SetParkWhenIdle(true)
	}
	for i, p := range b.patterns {
		id, err := b.e.RegisterFunc(p, b.onMessage(i))
		if err != nil {
			return fmt.Errorf("natsbridge: hook %q: %w", p.String(), err)
		}
		b.hookIDs = append(b.hookIDs, id)
	}
	if b.js != nil && len(b.cfg.imports) > 0 {
		if b.unafter, err = b.e.AfterDelivery(b.afterDelivery); err != nil {
			return fmt.Errorf("natsbridge: %w", err)
		}
	}
	if len(b.cfg.imports) > 0 {
		if b.js != nil {
			err = b.js.consume(ctx, b)
		} else {
			err = b.subscribe()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// connHandlers are the connection callbacks that feed the statistics; the
// ones given with WithNATSOptions are called too.
func (b *Bridge) connHandlers() []nats.Option {
	var user nats.Options
	for _, o := range b.cfg.natsOpts {
		if o != nil {
			o(&user)
		}
	}
	return []nats.Option{
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			b.st.disconnects.Add(1)
			if err != nil {
				b.log.Warn("natsbridge: disconnected", "err", err)
			}
			if user.DisconnectedErrCB != nil {
				user.DisconnectedErrCB(nc, err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.st.reconnects.Add(1)
			b.log.Info("natsbridge: reconnected", "url", nc.ConnectedUrlRedacted())
			if user.ReconnectedCB != nil {
				user.ReconnectedCB(nc)
			}
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			close(b.closed)
			if user.ClosedCB != nil {
				user.ClosedCB(nc)
			}
		}),
		nats.ErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrSlowConsumer) {
				b.st.slowEvents.Add(1)
				b.log.Warn("natsbridge: slow consumer: the engine does not take imported messages fast enough; the connection drops some", "subject", subjectOf(sub))
			} else {
				b.st.asyncErrors.Add(1)
				b.log.Warn("natsbridge: connection error", "err", err)
			}
			if user.AsyncErrorCB != nil {
				user.AsyncErrorCB(nc, sub, err)
			}
		}),
	}
}

func subjectOf(s *nats.Subscription) string {
	if s == nil {
		return ""
	}
	return s.Subject
}

// Shutdown ends the bridge in the order that loses nothing: it stops
// importing, shuts the engine down (delivering, and so exporting, every
// message it accepted; see WithoutEngineShutdown), waits for the JetStream
// acks of every export, and drains the connection. If ctx ends first it
// closes the connection and says what was left; it reports publishes that
// failed for good (ErrPublish).
func (b *Bridge) Shutdown(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.started {
		return ErrNotStarted
	}
	if b.done {
		return nil
	}
	b.done = true
	if b.js != nil {
		// Once ctx ends, nothing waits for room to publish any more (the
		// engine's loop may be waiting there, and the engine's shutdown
		// for the loop).
		stop := context.AfterFunc(ctx, b.js.giveUp)
		defer stop()
	}
	var errs []error
	b.stopImport(ctx)
	if !b.cfg.noShutdown {
		if err := b.e.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("natsbridge: engine shutdown: %w", err))
		}
	}
	b.unhook()
	b.unpark()
	if b.js != nil {
		if err := b.js.wait(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := b.drain(ctx); err != nil {
		errs = append(errs, err)
	}
	if b.js != nil {
		if err := b.js.stop(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// teardown undoes a failed Start. b.mu is held.
func (b *Bridge) teardown() {
	b.stopImport(context.Background())
	b.unhook()
	b.unpark()
	if b.js != nil {
		b.js.stop()
	}
	if b.nc != nil {
		b.nc.Close()
		<-b.closed
	}
	b.done = true
}

// unpark restores the engine's idle wait that Start changed. b.mu is held.
func (b *Bridge) unpark() {
	if b.parked {
		b.e.SetParkWhenIdle(b.wasParked)
		b.parked = false
	}
}

func (b *Bridge) unhook() {
	for i, id := range b.hookIDs {
		if err := b.e.UnregisterHandler(b.patterns[i], id); err != nil {
			b.log.Warn("natsbridge: unhook", "topic", b.patterns[i].String(), "err", err)
		}
	}
	b.hookIDs = nil
	if b.unafter != nil {
		b.unafter()
		b.unafter = nil
	}
}

// drain flushes what the connection buffered and closes it.
func (b *Bridge) drain(ctx context.Context) error {
	if b.nc == nil {
		return nil
	}
	if err := b.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		b.nc.Close()
	}
	select {
	case <-b.closed:
		return nil
	case <-ctx.Done():
		b.nc.Close()
		<-b.closed
		return fmt.Errorf("natsbridge: drain: %w", ctx.Err())
	}
}

// durationOr returns d, or def if d is not positive.
func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/internal/ticks"
	"github.com/eventengine/eventengine/natsbridge"
	"github.com/eventengine/eventengine/topic"
)

func init() {
	register(command{name: "demo", summary: "run a live, simulated market-data feed through the engine", run: runDemo})
}

const demoUsage = `Usage: eventengine demo [flags]

Publishes simulated ticks (Market.Data.<SYMBOL>) and trades
(Market.<Equity|Futures>.Trade) and subscribes with every topic form:

  Market.Data.AAPL                   exact     last price of one symbol
  Market.Data.{symbol}               wildcard  running VWAP per symbol, latency
  Market.(Equity|Futures).Trade      range     trades and notional per market
  Market.Data./^[A-Z]{4}$/           pattern   ticks of four-letter symbols
  EventEngine.Internal.Timer.Second  timer     drives the live view

The handlers on each topic above form its hook (see README, Terms). Each second
the demo shows the target and achieved rate (and says when the target is not
reached), the rate over time, queue occupancy, publish-to-handler latency
(percentiles and the distribution) and, per hook, its calls, mean handler
time and panics. Then it shuts down gracefully (everything accepted is
delivered) and prints a summary: published messages plus timer ticks add
up to the messages the engine accepted and delivered.

With --metrics-addr it serves, while it runs, Prometheus metrics on
/metrics and expvar variables on /debug/vars (the engine's under
"eventengine", and in it the NATS bridges' under "bridges").

With --nats the feed and the subscribers talk through NATS (package
natsbridge): --nats embedded runs both, and a NATS server, in this process;
--nats nats://HOST:PORT connects to a server, and --role splits the demo
over processes:

  eventengine demo --role server --nats nats://127.0.0.1:4222 --jetstream
  eventengine demo --role strategy --nats nats://127.0.0.1:4222 --jetstream --state s.bin --checkpoint s.ckpt
  eventengine demo --role feed --nats nats://127.0.0.1:4222 --jetstream --messages 100000

The feed ends with a message that says how many it published; a strategy
runs until it has them all (or Ctrl-C, or --duration if given). With
--jetstream (durable mode) a strategy killed and started again resumes
where it stopped; with --checkpoint (natsbridge's JetStream.Checkpoint) it
gets the stream in order and nothing twice, but for the one message a kill
may have interrupted; with --state it also skips what it handled before
the crash, so that its summary accounts for the whole feed: nothing lost,
nothing handled twice.

Flags:

`

// demoConfig holds the demo's flags.
type demoConfig struct {
	duration    time.Duration
	rate        int
	symbols     int
	capacity    int
	asJSON      bool
	seed        uint64
	metricsAddr string // serve /metrics and /debug/vars here while running
	svg         string // write charts of the run to this file at the end
	messages    int    // stop the feed after this many messages (0: no limit)

	// With NATS (see nats.go).
	nats        string // "", embedded or the server's URL
	role        string // roleAll, roleFeed, roleStrategy or roleServer
	jetStream   bool
	state       string // a strategy's state file
	durable     string // a strategy's JetStream consumer
	checkpoint  string // a strategy's JetStream checkpoint file (instead of the durable)
	durationSet bool   // --duration given (a strategy or a server otherwise runs until stopped)

	// For tests: serving is called with the metrics server's address
	// once the engine runs, finished after the shutdown while it still serves.
	serving  func(addr string)
	finished func(addr string)
}

// maxDemoCapacity bounds --capacity: the queue is allocated up front, and
// 16 M slots already take a gigabyte.
const maxDemoCapacity = 1 << 24

func parseDemoFlags(args []string, stdout, stderr io.Writer) (demoConfig, int, bool) {
	var c demoConfig
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to run (Ctrl-C stops earlier)")
	fs.IntVar(&c.rate, "rate", 200_000, "messages published per second")
	fs.IntVar(&c.symbols, "symbols", 50, "number of symbols, split over two markets")
	fs.IntVar(&c.capacity, "capacity", engine.DefaultCapacity, "engine queue capacity")
	fs.BoolVar(&c.asJSON, "json", false, "print the summary as JSON")
	fs.Uint64Var(&c.seed, "seed", 1, "random seed of the simulated feed")
	fs.StringVar(&c.metricsAddr, "metrics-addr", "", "serve Prometheus /metrics and expvar /debug/vars on this address while running (127.0.0.1:9464; port 0 picks one)")
	fs.StringVar(&c.svg, "svg", "", "write charts of the run (rate per second, latency distribution) to this SVG file")
	fs.IntVar(&c.messages, "messages", 0, "stop the feed after this many messages (default: no limit, run for --duration)")
	fs.StringVar(&c.nats, "nats", "", "run through NATS: embedded (a server in this process) or a server's URL, nats://127.0.0.1:4222")
	fs.StringVar(&c.role, "role", roleAll, "with --nats: feed, strategy, server (serves --nats's address), or all (feed and strategy here)")
	fs.BoolVar(&c.jetStream, "jetstream", false, "with --nats: durable mode (JetStream): a restarted strategy resumes where it stopped")
	fs.StringVar(&c.state, "state", "", "with --role strategy: record the feed messages handled in this file, and skip them after a restart")
	fs.StringVar(&c.durable, "durable", "demo-strategy", "with --role strategy --jetstream: the durable consumer's name (one per strategy process)")
	fs.StringVar(&c.checkpoint, "checkpoint", "", "with --role strategy --jetstream: import in the stream's order from this checkpoint file instead of the durable (a restarted strategy gets nothing twice, but the message a kill interrupted)")
	if code, ok := parseCommandFlags(fs, demoUsage, args, stdout, stderr); !ok {
		return c, code, false
	}
	bad := func(format string, a ...any) (demoConfig, int, bool) {
		fmt.Fprintf(stderr, "eventengine demo: "+format+"\n", a...)
		return c, 2, false
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	c.durationSet = set["duration"]
	if msg := checkNATSFlags(&c, set); msg != "" {
		return bad("%s", msg)
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case c.duration <= 0:
		return bad("--duration must be positive, got %v", c.duration)
	case c.rate < 1 || c.rate > 50_000_000:
		return bad("--rate must be between 1 and 50000000 messages/s, got %d", c.rate)
	case c.symbols < 2 || c.symbols > 10_000:
		return bad("--symbols must be between 2 and 10000, got %d", c.symbols)
	case c.capacity < 1 || c.capacity > maxDemoCapacity:
		return bad("--capacity must be between 1 and %d messages, got %d", maxDemoCapacity, c.capacity)
	}
	if c.svg != "" {
		// Checked now, not after a run of --duration.
		if st, err := os.Stat(filepath.Dir(c.svg)); err != nil || !st.IsDir() {
			return bad("--svg %s: the directory %s does not exist", c.svg, filepath.Dir(c.svg))
		}
	}
	if c.metricsAddr != "" {
		_, port, err := net.SplitHostPort(c.metricsAddr)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			return bad("--metrics-addr must be host:port with a port from 0 (any free one) to 65535, like 127.0.0.1:9464; got %q", c.metricsAddr)
		}
	}
	return c, 0, true
}

// wellKnown are ticker-like symbols of one to five letters, so that the
// four-letter pattern matches some and not others.
var wellKnown = []string{"AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "IBM", "F", "GE", "T", "KO",
	"PEP", "INTC", "ORCL", "CSCO", "ADBE", "NFLX", "AMD", "QCOM", "JPM", "BAC", "WFC", "GS", "MS",
	"ES", "NQ", "YM", "RTY", "CL", "NG", "GC", "SI", "HG", "ZB", "ZN", "ZF", "ZC", "ZW", "ZS",
	"6E", "6J", "6B", "BTC", "ETH", "VIX", "LE", "HE", "KC", "CC"}

// futures are the futures contracts among wellKnown.
var futures = map[string]bool{"ES": true, "NQ": true, "YM": true, "RTY": true, "CL": true, "NG": true, "GC": true,
	"SI": true, "HG": true, "ZB": true, "ZN": true, "ZF": true, "ZC": true, "ZW": true, "ZS": true, "6E": true,
	"6J": true, "6B": true, "BTC": true, "ETH": true, "VIX": true, "LE": true, "HE": true, "KC": true, "CC": true}

// market is one simulated instrument.
type market struct {
	symbol string
	kind   string // Equity or Futures
	price  float64
	tick   topic.Topic
}

func makeMarkets(n int, r *rand.Rand) []*market {
	ms := make([]*market, n)
	for i := range ms {
		sym := ""
		if i < len(wellKnown) {
			sym = wellKnown[i]
		} else {
			for k := i; ; k /= 26 {
				sym = string(rune('A'+k%26)) + sym
				if k < 26 {
					break
				}
			}
			sym = "X" + sym
		}
		kind := "Equity"
		if futures[sym] || i >= len(wellKnown) && i%2 == 1 {
			kind = "Futures"
		}
		ms[i] = &market{symbol: sym, kind: kind, price: 20 + r.Float64()*480, tick: topic.MustParse("Market.Data." + sym)}
	}
	return ms
}

// demoState is what the subscribers keep. The dispatch loop writes it (every
// handler runs on the loop); the view reads it under mu.
type demoState struct {
	mu        sync.Mutex
	vwapNum   map[string]float64
	vwapDen   map[string]float64
	lastAAPL  float64
	ticks     int64 // feed ticks seen by the wildcard subscriber
	trades    map[string]int64
	notional  map[string]float64
	fourCount int64
	timerTick int64
	latency   histogram

	// With NATS (see subscribe).
	bridged    bool
	handled    map[uint64]*bitset // by feed id, the sequences handled by this run
	skipped    uint64             // handled by an earlier run (--state), delivered again
	duplicates uint64             // handled twice by this run
	state      *stateFile         // --state
	stateErr   error
	endID      uint64        // the feed's end: its id,
	endN       uint64        // and how many messages it published
	ended      chan struct{} // closed when the feed's end arrives
	complete   chan struct{} // closed when every message of the ended feed was handled
	isComplete bool
}

// named is a handler with a name: the metrics label its series with it.
type named struct {
	name string
	f    func(event.Message)
}

func (n named) Handle(m event.Message) { n.f(m) }

// Name returns the handler's name.
func (n named) Name() string { return n.name }

// demoSummary is printed at the end (as JSON with --json).
type demoSummary struct {
	Seconds    float64 `json:"seconds"`
	Symbols    int     `json:"symbols"`
	TargetRate int     `json:"target_rate"`
	// MsgsPerSec is the achieved rate: feed messages published per second
	// over the run. TargetReached is false when it fell short of the
	// target by more than 5%.
	MsgsPerSec    float64 `json:"msgs_per_sec"`
	TargetReached bool    `json:"target_reached"`
	// Published counts the feed's messages the engine accepted; Received
	// counts those the hooks saw (ticks by the wildcard hook, trades by the
	// range hook); Lost is their difference.
	Published uint64 `json:"published"`
	Received  uint64 `json:"received"`
	Lost      int64  `json:"lost"`
	// TimerTicks counts the 1-second timer's messages; Accepted and
	// Delivered, the engine's own counters, count the feed's messages and
	// the timer's: Published + TimerTicks == Accepted == Delivered.
	TimerTicks  int64              `json:"timer_ticks"`
	Accepted    uint64             `json:"accepted"`
	Delivered   uint64             `json:"delivered"`
	QueuePeak   int                `json:"queue_peak"`
	Capacity    int                `json:"queue_capacity"`
	LatencyP50  int64              `json:"latency_p50_ns"`
	LatencyP99  int64              `json:"latency_p99_ns"`
	LatencyP999 int64              `json:"latency_p999_ns"`
	Hooks       []hookSummary      `json:"hooks"`
	Trades      map[string]int64   `json:"trades"`
	VWAP        map[string]float64 `json:"vwap_sample"`
	FourLetter  int64              `json:"four_letter_ticks"`
	Panics      uint64             `json:"handler_panics"`
	// RatePerSecond is the achieved rate in each second of the run.
	RatePerSecond []float64 `json:"rate_per_second"`
	latency       []uint64  // the latency histogram's counts, for the charts

	// With --nats: the role, where the bridges connect, and the bridges'
	// summary (sent by the feed's bridge, received by the strategy's,
	// the losses of both). For a strategy, Published is the count the
	// feed's end gave (FeedEnded), Received the feed messages this run
	// handled, HandledBefore those earlier runs handled (--state), and
	// Lost the feed's messages no run handled; Skipped counts messages
	// delivered again after a crash that an earlier run had handled, and
	// Duplicates messages this run handled twice (the bridge drops them
	// first: always 0). A JetStream strategy without --state cannot tell
	// what an earlier run handled: AckedBefore counts the feed's messages
	// it did not get, which the durable consumer had delivered and had
	// acknowledged before (JetStream delivers every other one again), or
	// which the checkpoint had passed (--checkpoint).
	Role          string              `json:"role,omitempty"`
	NATS          string              `json:"nats,omitempty"`
	Bridge        *natsbridge.Summary `json:"bridge,omitempty"`
	FeedEnded     bool                `json:"feed_ended,omitempty"`
	HandledBefore uint64              `json:"handled_before,omitempty"`
	AckedBefore   uint64              `json:"acked_before,omitempty"`
	Skipped       uint64              `json:"skipped,omitempty"`
	Duplicates    uint64              `json:"duplicates,omitempty"`
}

// hookSummary is one hook: its topic, form and lifetime statistics.
type hookSummary struct {
	Topic     string  `json:"topic"`
	Form      string  `json:"form"`
	Calls     uint64  `json:"calls"`
	MeanNanos float64 `json:"mean_ns"`
	Panics    uint64  `json:"panics"`
}

// vwapSymbols is how many symbols' VWAP the live view and the summary show
// (the same ones: the first well-known symbols of the feed).
const vwapSymbols = 5

// targetReached reports whether rate is within 5% of the target.
func targetReached(rate float64, target int) bool { return rate >= 0.95*float64(target) }

func runDemo(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	cfg, code, ok := parseDemoFlags(args, stdout, stderr)
	if !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A strategy runs until it has the whole feed, a server until it is
	// stopped, unless --duration says otherwise.
	if cfg.durationSet || (cfg.role != roleStrategy && cfg.role != roleServer) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.duration)
		defer cancel()
	}
	if cfg.role == roleServer {
		return runServer(ctx, cfg, stderr)
	}
	// With --json standard output carries only the summary; the live view
	// goes to standard error.
	view := stdout
	if cfg.asJSON {
		view = stderr
	}
	if cfg.metricsAddr != "" && cfg.serving == nil {
		cfg.serving = func(addr string) {
			fmt.Fprintf(stderr, "eventengine demo: serving http://%s/metrics and /debug/vars\n", addr)
		}
	}
	live := isTerminal(view)
	if f, ok := view.(*os.File); ok && live {
		// The view is redrawn in place by moving the cursor up: on a smaller
		// terminal its lines would wrap or scroll away and the frames
		// overwrite each other, so print a line per second instead.
		if cols, rows, ok := termSize(f); ok && (cols < viewWidth+1 || rows < viewHeight(cfg)+1) {
			fmt.Fprintf(stderr, "eventengine demo: live view needs %dx%d, terminal is %dx%d: one line per second\n",
				viewWidth+1, viewHeight(cfg)+1, cols, rows)
			live = false
		}
	}
	sum, err := demo(ctx, cfg, view, live)
	if err != nil {
		fmt.Fprintln(stderr, "eventengine demo:", err)
		return 1
	}
	if cfg.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			fmt.Fprintln(stderr, "eventengine demo:", err)
			return 1
		}
	} else {
		// A terminal has the hooks' table on screen already.
		printSummary(stdout, sum, !isTerminal(stdout))
	}
	if cfg.svg != "" {
		if err := writeSVG(cfg.svg, sum); err != nil {
			fmt.Fprintln(stderr, "eventengine demo: writing the charts:", err)
			return 1
		}
		fmt.Fprintf(stderr, "eventengine demo: wrote %s\n", cfg.svg)
	}
	if msg := sum.failure(); msg != "" {
		fmt.Fprintln(stderr, "eventengine demo: FAIL:", msg)
		return 1
	}
	return 0
}

// failure says what does not add up in s, or "".
func (s demoSummary) failure() string {
	b := s.Bridge
	switch {
	case b == nil && (s.Lost != 0 || s.Delivered != s.Accepted || s.Accepted != s.Published+uint64(s.TimerTicks)):
		return fmt.Sprintf("%d of %d published messages not received; %d accepted, %d delivered, %d timer ticks",
			s.Lost, s.Published, s.Accepted, s.Delivered, s.TimerTicks)
	case b == nil:
		return ""
	case b.Lost != 0 || b.PendingAcks != 0:
		return fmt.Sprintf("the NATS bridge lost %d messages, %d publishes wait for their ack", b.Lost, b.PendingAcks)
	case s.Delivered != s.Accepted:
		return fmt.Sprintf("%d messages accepted, %d delivered", s.Accepted, s.Delivered)
	case s.Role == roleFeed && s.Accepted != s.Published+1+uint64(s.TimerTicks):
		return fmt.Sprintf("published %d + the end marker + %d timer ticks, but %d accepted", s.Published, s.TimerTicks, s.Accepted)
	case s.Role == roleFeed:
		return ""
	case s.Duplicates != 0:
		return fmt.Sprintf("%d feed messages handled twice", s.Duplicates)
	case s.Role == roleAll && !s.FeedEnded:
		return "the feed's end never arrived"
	case s.FeedEnded && s.Lost != 0:
		return fmt.Sprintf("%d of the feed's %d messages not handled", s.Lost, s.Published)
	}
	return ""
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// demo runs the simulation until ctx ends and returns the summary.
//
// Without --nats one engine carries the feed and the subscribers. With
// --nats the feed's engine exports the feed through a bridge and the
// subscribers' engine imports it through another (role all: both in this
// process; roles feed and strategy: one of them).
func demo(ctx context.Context, cfg demoConfig, out io.Writer, terminal bool) (demoSummary, error) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	newEngine := func() (*engine.Engine, error) {
		// With --nats URL the bridges make the loops park when idle, so that
		// the NATS connections' sockets are polled; with --nats embedded
		// (an in-process pipe) they leave them spinning (natsbridge.WithLoopSpin).
		return engine.New(engine.WithCapacity(cfg.capacity), engine.WithHandlerStats(), engine.WithLogger(logger))
	}
	// feedE carries the feed, subE the subscribers, viewE the view's timer.
	var feedE, subE *engine.Engine
	var err error
	if cfg.role != roleStrategy {
		if feedE, err = newEngine(); err != nil {
			return demoSummary{}, err
		}
	}
	switch {
	case cfg.nats == "":
		subE = feedE
	case cfg.role != roleFeed:
		if subE, err = newEngine(); err != nil {
			return demoSummary{}, err
		}
	}
	viewE := cmp.Or(subE, feedE)
	st := &demoState{vwapNum: map[string]float64{}, vwapDen: map[string]float64{}, trades: map[string]int64{}, notional: map[string]float64{},
		bridged: cfg.nats != "", handled: map[uint64]*bitset{}, complete: make(chan struct{}), ended: make(chan struct{})}
	if cfg.state != "" {
		if st.state, err = openState(cfg.state); err != nil {
			return demoSummary{}, err
		}
		defer st.state.close()
	}
	forms := map[string]string{}
	if subE != nil {
		if err := subscribe(subE, st, forms); err != nil {
			return demoSummary{}, err
		}
	}
	// Subscribe to the 1-second timer before starting it, so that no tick
	// can reach the engine before its handler does. Each tick redraws the
	// view.
	refresh := make(chan struct{}, 1)
	forms[engine.SecondTimer.String()] = "timer"
	if _, err := viewE.RegisterHandler(engine.SecondTimer, named{"view", func(event.Message) {
		st.mu.Lock()
		st.timerTick++
		st.mu.Unlock()
		select {
		case refresh <- struct{}{}:
		default:
		}
	}}); err != nil {
		return demoSummary{}, err
	}
	engines := []*engine.Engine{feedE}
	if subE != feedE {
		engines = append(engines, subE)
	}
	stop := func(nb *bridges) { // undoes a failed start
		nb.close()
		for _, e := range engines {
			if e != nil {
				e.Stop()
			}
		}
	}
	for _, e := range engines {
		if e != nil {
			e.Start()
		}
	}
	nb := &bridges{}
	if cfg.nats != "" {
		if nb, err = startBridges(ctx, cfg, feedE, subE); err != nil {
			stop(&bridges{}) // startBridges closed what it started
			return demoSummary{}, err
		}
	}
	if _, err := viewE.Timer(time.Second); err != nil {
		stop(nb)
		return demoSummary{}, err
	}
	var srv *metricsServer
	if cfg.metricsAddr != "" {
		if srv, err = serveMetrics(cfg.metricsAddr, viewE, nb.named()...); err != nil {
			stop(nb)
			return demoSummary{}, err
		}
		defer srv.Close()
		if cfg.serving != nil {
			cfg.serving(srv.Addr()) // once the engine runs: a scrape from now on sees it running
		}
	}

	var published atomic.Uint64
	var peak atomic.Int64 // the highest queue occupancy seen since the last redraw
	feedDone := make(chan struct{})
	var feedErr error
	start := time.Now()
	if feedE != nil {
		go func() {
			defer close(feedDone)
			feed(ctx, feedE, cfg, nb.feedID, &published, &peak)
			if nb.feed == nil {
				return
			}
			// The end marker, then the bridge's shutdown: the feed engine
			// delivers (exports) everything, and every ack is waited for.
			feedErr = feedE.Put(feedEnd, nb.feedID, published.Load())
			shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := nb.feed.Shutdown(shutCtx); err != nil {
				feedErr = errors.Join(feedErr, fmt.Errorf("feed bridge shutdown: %w", err))
			}
		}()
	} else {
		close(feedDone)
	}

	view := newLiveView(out, terminal, cfg, viewE, st, forms)
	view.nb = nb
	if srv != nil {
		view.serving = srv.Addr()
	}
	if terminal {
		io.WriteString(out, "\x1b[?25l")       // hide the cursor while redrawing
		defer io.WriteString(out, "\x1b[?25h") // and show it again, also after Ctrl-C
	}
	view.draw(0, 0, 0)
	// The run ends when the feed is done (without a strategy here), when
	// the strategy has the whole feed, when its end arrived and what is
	// missing did not come within a grace period, or, for a strategy
	// alone, when ctx ends.
	var grace <-chan time.Time
	startGrace := func() {
		if grace == nil {
			grace = time.After(10*time.Second + demoAckWait)
		}
	}
	done, ended, stopped := feedDone, st.ended, ctx.Done()
	if feedE != nil {
		stopped = nil // the feed watches ctx, and the end follows
	} else {
		done = nil // no feed here: the grace starts at the feed's end
	}
	if nb.strat == nil {
		ended = nil
	}
loop:
	for {
		select {
		case <-refresh:
			view.draw(time.Since(start), view.published(published.Load()), int(peak.Swap(0)))
			if ended == nil && st.state == nil && nb.drained(ctx, cfg) {
				break loop // the feed ended, and the durable has nothing more
			}
		case <-done:
			done = nil
			if nb.strat == nil {
				break loop
			}
			startGrace()
		case <-ended:
			ended = nil
			startGrace()
		case <-st.complete:
			break loop
		case <-grace:
			break loop
		case <-stopped:
			break loop
		}
	}
	<-feedDone
	if feedErr != nil {
		nb.close()
		return demoSummary{}, feedErr
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	switch {
	case nb.strat != nil:
		err = nb.strat.Shutdown(shutCtx) // and the engine
	case nb.feed == nil:
		err = viewE.Shutdown(shutCtx)
	}
	if err != nil {
		nb.close()
		return demoSummary{}, fmt.Errorf("graceful shutdown: %w", err)
	}
	if nb.srv != nil {
		nb.srv.Shutdown()
	}
	if st.stateErr != nil {
		return demoSummary{}, fmt.Errorf("--state %s: %w", cfg.state, st.stateErr)
	}
	elapsed := time.Since(start)
	view.final = true
	view.draw(elapsed, view.published(published.Load()), int(peak.Swap(0))) // the last partial second, after the shutdown
	sum := summarize(cfg, viewE, st, forms, published.Load(), view, elapsed)
	if cfg.nats != "" {
		sum.Role, sum.Bridge = cfg.role, nb.summary()
		sum.NATS = nb.where()
	}
	if srv != nil && cfg.finished != nil {
		cfg.finished(srv.Addr())
	}
	return sum, nil
}

// subscribe registers the demo's subscribers on e: one hook of each topic
// form, and, with NATS, one on the feed's end. With NATS every feed
// message carries the feed's id and its sequence (see feed): the wildcard
// and range hooks, which between them see every feed message once, count
// the distinct ones, so that duplicates and losses show; with --state they
// record them first, and every hook skips what an earlier run recorded.
func subscribe(e *engine.Engine, st *demoState, forms map[string]string) error {
	sub := func(form, pattern, name string, f func(event.Message)) error {
		forms[pattern] = form
		_, err := e.RegisterHandler(topic.MustParse(pattern), named{name, f})
		return err
	}
	// Every feed message carries its publish time (ticks.Nanotime, one
	// clock for every process of a Linux machine) after its values; the
	// wildcard and range hooks record publish → handler latency.
	errs := errors.Join(
		sub("exact", "Market.Data.AAPL", "last_price", func(m event.Message) {
			if st.before(m, 3) {
				return
			}
			p, _ := event.Arg[float64](m, 0)
			st.mu.Lock()
			st.lastAAPL = p
			st.mu.Unlock()
		}),
		sub("wildcard", "Market.Data.{symbol}", "vwap", func(m event.Message) {
			if !st.first(m, 3) {
				return
			}
			sent, _ := event.Arg[int64](m, 2)
			st.latency.Record(time.Duration(ticks.Nanotime() - sent))
			p, _ := event.Arg[float64](m, 0)
			q, _ := event.Arg[int64](m, 1)
			sym := m.Topic.Part(2).Literal()
			st.mu.Lock()
			st.ticks++
			st.vwapNum[sym] += p * float64(q)
			st.vwapDen[sym] += float64(q)
			st.mu.Unlock()
		}),
		sub("range", "Market.(Equity|Futures).Trade", "trades", func(m event.Message) {
			if !st.first(m, 4) {
				return
			}
			sent, _ := event.Arg[int64](m, 3)
			st.latency.Record(time.Duration(ticks.Nanotime() - sent))
			p, _ := event.Arg[float64](m, 1)
			q, _ := event.Arg[int64](m, 2)
			kind := m.Topic.Part(1).Literal()
			st.mu.Lock()
			st.trades[kind]++
			st.notional[kind] += p * float64(q)
			st.mu.Unlock()
		}),
		sub("pattern", `Market.Data./^[A-Z]{4}$/`, "four_letter", func(m event.Message) {
			if st.before(m, 3) {
				return
			}
			st.mu.Lock()
			st.fourCount++
			st.mu.Unlock()
		}),
	)
	if errs != nil {
		return errs
	}
	// The feed's end is not one of the demo's hooks (forms): neither the
	// view nor the summary list it.
	_, err := e.RegisterFunc(feedEnd, func(m event.Message) {
		id, _ := event.Arg[uint64](m, 0)
		n, _ := event.Arg[uint64](m, 1)
		st.mu.Lock()
		defer st.mu.Unlock()
		if st.endID != 0 {
			return // a second feed's end: the first one ends the run
		}
		st.endID, st.endN = id, n
		close(st.ended)
		st.checkComplete()
	})
	return err
}

// before reports whether an earlier run of this strategy handled m (its
// feed id and sequence at args i and i+1): with --state such a message,
// delivered again after a crash, is skipped.
func (st *demoState) before(m event.Message, i int) bool {
	if st.state == nil {
		return false
	}
	id, _ := event.Arg[uint64](m, i)
	seq, _ := event.Arg[uint64](m, i+1)
	return st.state.prior[id].has(seq)
}

// first reports whether m (its feed id and sequence at args i and i+1) is
// handled for the first time, counts and records it; a message handled
// before is counted as skipped (an earlier run had it) or as a duplicate.
// Without NATS every message is new.
func (st *demoState) first(m event.Message, i int) bool {
	if !st.bridged {
		return true
	}
	id, _ := event.Arg[uint64](m, i)
	seq, _ := event.Arg[uint64](m, i+1)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.before(m, i) {
		st.skipped++
		return false
	}
	set := st.handled[id]
	if set == nil {
		set = &bitset{}
		st.handled[id] = set
	}
	if set.has(seq) {
		st.duplicates++
		return false
	}
	if st.state != nil {
		// Before the handlers go on (and so before the bridge acks it).
		if err := st.state.record(id, seq); err != nil && st.stateErr == nil {
			st.stateErr = err
		}
	}
	set.set(seq)
	st.checkComplete()
	return true
}

// handledOf returns how many distinct messages of feed id were handled,
// by this run and, with --state, by earlier ones. The caller holds st.mu.
func (st *demoState) handledOf(id uint64) uint64 {
	n := st.handled[id].count()
	if st.state != nil {
		n += st.state.handledBefore(id)
	}
	return n
}

// checkComplete closes complete once the feed's end arrived and every one
// of its messages was handled. The caller holds st.mu.
func (st *demoState) checkComplete() {
	if st.endID != 0 && !st.isComplete && st.handledOf(st.endID) >= st.endN {
		st.isComplete = true
		close(st.complete)
	}
}

// feed publishes ticks (90%) and trades (10%) at cfg.rate until ctx ends
// or cfg.messages are published. It wakes every interval and publishes
// what is due, so messages go out in small bursts (about 16 at a time; at
// most every 100 µs, at least every 10 ms); after each burst it records
// the queue occupancy in peak. When the engine or the feed itself cannot
// keep up, the due messages pile up and the achieved rate falls short of
// the target, which the view says. With NATS (id not 0) every message
// also carries id and its sequence (1, 2, ...), after the publish time.
func feed(ctx context.Context, e *engine.Engine, cfg demoConfig, id uint64, published *atomic.Uint64, peak *atomic.Int64) {
	r := rand.New(rand.NewPCG(cfg.seed, 42))
	ms := makeMarkets(cfg.symbols, r)
	trade := map[string]topic.Topic{
		"Equity":  topic.MustParse("Market.Equity.Trade"),
		"Futures": topic.MustParse("Market.Futures.Trade"),
	}
	interval := min(max(16*time.Second/time.Duration(cfg.rate), 100*time.Microsecond), 10*time.Millisecond)
	start := time.Now()
	var sent uint64
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		due := uint64(time.Since(start).Seconds() * float64(cfg.rate))
		if cfg.messages > 0 {
			due = min(due, uint64(cfg.messages))
		}
		for ; sent < due; sent++ {
			m := ms[r.IntN(len(ms))]
			m.price *= 1 + (r.Float64()-0.5)*0.001
			size := int64(1 + r.IntN(500))
			var err error
			switch isTrade := r.IntN(10) == 0; {
			case id == 0 && isTrade:
				err = e.PutContext(ctx, trade[m.kind], m.symbol, m.price, size, ticks.Nanotime())
			case id == 0:
				err = e.PutContext(ctx, m.tick, m.price, size, ticks.Nanotime())
			case isTrade:
				err = e.PutContext(ctx, trade[m.kind], m.symbol, m.price, size, ticks.Nanotime(), id, sent+1)
			default:
				err = e.PutContext(ctx, m.tick, m.price, size, ticks.Nanotime(), id, sent+1)
			}
			if err != nil {
				return // ctx ended while the queue was full: that message was not accepted
			}
			published.Add(1)
			if ctx.Err() != nil {
				return
			}
		}
		if q := int64(e.Occupied()); q > peak.Load() {
			peak.Store(q) // only this goroutine raises it; the view resets it
		}
		if cfg.messages > 0 && sent == uint64(cfg.messages) {
			return
		}
	}
}

// viewWidth is the widest line the live view writes: it fits an
// 80-column terminal without wrapping (a wrapped line would throw off the
// redraw, which moves the cursor up by the number of lines it wrote).
const viewWidth = 79

// viewHeight is the number of lines of the live view: 19 (5 of them the
// hooks' table), one for the metrics address, two for the NATS bridge; a
// feed alone has only the timer's hook and no subscribers' lines.
func viewHeight(cfg demoConfig) int {
	n := 19
	if cfg.metricsAddr != "" {
		n++
	}
	if cfg.nats != "" {
		n += 2
	}
	if cfg.role == roleFeed {
		n -= 8 // 4 hooks, and the blank line and 3 lines of the subscribers
	}
	return n
}

// liveView draws the per-second view: in place on a terminal, one plain
// line per second otherwise.
type liveView struct {
	out      io.Writer
	terminal bool
	cfg      demoConfig
	e        *engine.Engine
	st       *demoState
	forms    map[string]string
	serving  string // the metrics server's address, if any
	nb       *bridges
	// strategyOnly: a strategy without the feed, whose rate is that of
	// the messages it handles.
	strategyOnly bool
	final        bool // the frame after the shutdown
	lines        int
	lastPub      uint64
	lastAt       time.Duration
	lastCount    []uint64
	peak         int       // over the whole run
	rates        []float64 // achieved rate of each full window (about a second)
}

func newLiveView(out io.Writer, terminal bool, cfg demoConfig, e *engine.Engine, st *demoState, forms map[string]string) *liveView {
	c, _ := st.latency.snapshot()
	return &liveView{out: out, terminal: terminal, cfg: cfg, e: e, st: st, forms: forms, lastCount: c,
		nb: &bridges{}, strategyOnly: cfg.role == roleStrategy}
}

// published returns the count the view's rate is of: the feed's published
// messages, or for a strategy alone those it handled.
func (v *liveView) published(feed uint64) uint64 {
	if !v.strategyOnly {
		return feed
	}
	v.st.mu.Lock()
	defer v.st.mu.Unlock()
	n := uint64(v.st.ticks)
	for _, t := range v.st.trades {
		n += uint64(t)
	}
	return n
}

// bridgeLines are the view's lines about the NATS bridges (none without).
func (v *liveView) bridgeLines() []string {
	if v.nb.feed == nil && v.nb.strat == nil {
		return nil
	}
	s := v.nb.summary()
	v.st.mu.Lock()
	end := "feed running"
	switch {
	case v.st.endID != 0:
		end = fmt.Sprintf("feed ended: %s published", group(v.st.endN))
	case v.strategyOnly:
		end = "feed: waiting for its end"
	case v.final:
		end = fmt.Sprintf("feed ended: %s published", group(v.lastPub))
	}
	v.st.mu.Unlock()
	return []string{
		fmt.Sprintf("bridge    %-9s sent %s  received %s  lost %s  acks %s", s.Mode, group(s.Sent), group(s.Received), group(s.Lost), group(uint64(s.PendingAcks))),
		fmt.Sprintf("          dropped %s  duplicates %s  reconnects %d  %s", group(s.Dropped), group(s.Duplicates), s.Reconnects, end),
	}
}

// draw shows the state at time at: the rate and latency of the window since
// the previous draw, and peak, the highest queue occupancy in it.
func (v *liveView) draw(at time.Duration, published uint64, peak int) {
	s := v.e.Stats()
	var rate float64
	w := (at - v.lastAt).Seconds()
	if w > 0 {
		rate = float64(published-v.lastPub) / w
	}
	// Only windows of about a second count for the rate over time and the
	// target check; the last partial one (after the shutdown) does not.
	full := w >= 0.5 && !v.final
	if full {
		v.rates = append(v.rates, rate)
	}
	counts, _ := v.st.latency.snapshot()
	window, n := diff(counts, v.lastCount)
	p := percentiles(window, n, 0.50, 0.99, 0.999)
	v.lastPub, v.lastAt, v.lastCount = published, at, counts
	peak = max(peak, s.Queued)
	v.peak = max(v.peak, peak)
	lat := "-"
	if n > 0 {
		lat = fmt.Sprintf("p50 %s  p99 %s  p99.9 %s", dur(p[0]), dur(p[1]), dur(p[2]))
	}
	v.st.mu.Lock()
	ticks := v.st.timerTick
	v.st.mu.Unlock()
	if !v.terminal {
		if at == 0 {
			return
		}
		short := ""
		if full && !v.strategyOnly && !targetReached(rate, v.cfg.rate) {
			short = " (below target)"
		}
		what := "published"
		if v.strategyOnly {
			what = "handled"
		}
		bridge := ""
		if v.nb.feed != nil || v.nb.strat != nil {
			b := v.nb.summary()
			bridge = fmt.Sprintf("  bridge sent %d received %d lost %d acks %d", b.Sent, b.Received, b.Lost, b.PendingAcks)
		}
		fmt.Fprintf(v.out, "t=%4.1fs  %s msgs/s%s  queue peak %d/%d  latency %s  %s %s + timer ticks %d, delivered %s, queued %d  panics %d%s\n",
			at.Seconds(), group(uint64(rate)), short, peak, s.Capacity, lat, what, group(published), ticks, group(s.Delivered), s.Queued, s.HandlerPanics, bridge)
		return
	}
	var b strings.Builder
	b.WriteString("\r")
	if v.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", v.lines) // back to the top of the view
	}
	line := func(format string, a ...any) {
		b.WriteString("\x1b[2K")
		b.WriteString(clip(fmt.Sprintf(format, a...), viewWidth))
		b.WriteString("\n")
	}
	state := "Ctrl-C stops"
	if v.final {
		state = "done"
	}
	of := fmt.Sprintf("of %.1f s", v.cfg.duration.Seconds())
	if v.strategyOnly && !v.cfg.durationSet {
		of = "" // until the feed ends
	}
	role := ""
	if v.cfg.nats != "" && v.cfg.role != roleAll {
		role = ", " + v.cfg.role
	}
	line("eventengine demo%s: %d symbols, 2 markets   %.1f s %s   %s", role, v.cfg.symbols, at.Seconds(), of, state)
	if v.serving != "" {
		line("metrics   http://%s/metrics  /debug/vars", v.serving)
	}
	line("")
	verdict := ""
	if len(v.rates) > 0 && !targetReached(v.rates[len(v.rates)-1], v.cfg.rate) {
		verdict = "  target not reached"
	}
	// The final frame shows the whole run, as the summary does.
	shown, queuePeak, over := rate, peak, "this second"
	if v.final && at > 0 {
		shown, queuePeak, over = float64(published)/at.Seconds(), v.peak, "whole run"
		verdict = ""
		if !targetReached(shown, v.cfg.rate) {
			verdict = "  target not reached"
		}
	}
	if v.strategyOnly { // the feed's process has the target
		line("rate      handled %s/s", group(uint64(shown)))
	} else {
		line("rate      target %s/s   achieved %s/s%s", group(uint64(v.cfg.rate)), group(uint64(shown)), verdict)
	}
	if len(v.rates) > 0 {
		last := v.rates[max(0, len(v.rates)-60):]
		line("          %s  per second, max %s/s", sparkline(last), group(uint64(slices.Max(last))))
	} else {
		line("")
	}
	line("queue     peak %s of %s, %s", group(uint64(queuePeak)), group(uint64(s.Capacity)), over)
	line("latency   %s   this second", lat)
	if all, n := v.st.latency.snapshot(); n > 0 {
		lo, hi, bars := latencyBars(all)
		line("          %s  %s to %s, whole run", bars, dur(lo), dur(hi))
	} else {
		line("")
	}
	switch {
	case v.nb.strat != nil:
		line("messages  imported %s + timer ticks %d; delivered %s, queued %s", group(v.nb.strat.Stats().Received), ticks, group(s.Delivered), group(uint64(s.Queued)))
	default:
		line("messages  published %s + timer ticks %d; delivered %s, queued %s", group(published), ticks, group(s.Delivered), group(uint64(s.Queued)))
	}
	for _, l := range v.bridgeLines() {
		line("%s", l)
	}
	line("")
	line("%-35s %-8s %11s %10s %7s", "hook topic", "form", "calls", "mean", "panics")
	for _, h := range hooksSummary(v.e, v.forms) {
		line("%-35s %-8s %11s %10s %7d", h.Topic, h.Form, group(h.Calls), dur(time.Duration(h.MeanNanos)), h.Panics)
	}
	if v.cfg.role != roleFeed {
		line("")
		v.st.mu.Lock()
		line("AAPL      last %s", price(v.st.lastAAPL))
		line("VWAP      %s", vwapLine(v.st, vwapSymbols))
		line("trades    Equity %s, Futures %s   four-letter ticks %s",
			group(uint64(v.st.trades["Equity"])), group(uint64(v.st.trades["Futures"])), group(uint64(v.st.fourCount)))
		v.st.mu.Unlock()
	}
	v.lines = strings.Count(b.String(), "\n")
	b.WriteString("\x1b[J") // clear anything below the view
	io.WriteString(v.out, b.String())
}

// clip cuts s to at most n runes.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// vwapLine formats the VWAP of the first n symbols (in feed order: the
// well-known ones first). The caller holds st.mu.
func vwapLine(st *demoState, n int) string {
	var parts []string
	for _, sym := range wellKnown[:min(n, len(wellKnown))] {
		if d := st.vwapDen[sym]; d > 0 {
			parts = append(parts, sym+" "+price(st.vwapNum[sym]/d))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "  ")
}

func price(p float64) string {
	if p == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", p)
}

// hooksSummary lists the demo's hooks (those in forms: not the bridge's
// or the feed end's).
func hooksSummary(e *engine.Engine, forms map[string]string) []hookSummary {
	var hs []hookSummary
	for t, h := range e.All() {
		if forms[t.String()] == "" {
			continue
		}
		tot := h.Totals()
		hs = append(hs, hookSummary{Topic: t.String(), Form: forms[t.String()], Calls: tot.Calls,
			MeanNanos: float64(tot.Total) / float64(max(tot.Calls, 1)), Panics: tot.Panics})
	}
	return hs
}

func summarize(cfg demoConfig, e *engine.Engine, st *demoState, forms map[string]string, published uint64, v *liveView, elapsed time.Duration) demoSummary {
	s := e.Stats()
	counts, n := st.latency.snapshot()
	p := percentiles(counts, n, 0.50, 0.99, 0.999)
	st.mu.Lock()
	defer st.mu.Unlock()
	vwap := map[string]float64{}
	for _, sym := range wellKnown[:min(vwapSymbols, cfg.symbols)] {
		if d := st.vwapDen[sym]; d > 0 {
			vwap[sym] = math.Round(st.vwapNum[sym]/d*100) / 100
		}
	}
	received := uint64(st.ticks)
	for _, n := range st.trades {
		received += uint64(n)
	}
	sum := demoSummary{
		Seconds: elapsed.Seconds(), Symbols: cfg.symbols, TargetRate: cfg.rate,
		Published: published, Received: received, Lost: int64(published) - int64(received),
		TimerTicks: st.timerTick, Accepted: s.Accepted, Delivered: s.Delivered,
		QueuePeak: v.peak, Capacity: s.Capacity,
		LatencyP50: int64(p[0]), LatencyP99: int64(p[1]), LatencyP999: int64(p[2]),
		Hooks: hooksSummary(e, forms), Trades: maps.Clone(st.trades), VWAP: vwap, FourLetter: st.fourCount,
		Panics: s.HandlerPanics, RatePerSecond: append([]float64{}, v.rates...), latency: counts,
		Skipped: st.skipped, Duplicates: st.duplicates,
	}
	if v.strategyOnly {
		sum.Published, sum.FeedEnded = st.endN, st.endID != 0
		sum.Lost = 0
		if sum.FeedEnded {
			sum.HandledBefore = st.state.handledBefore(st.endID)
			sum.Lost = int64(st.endN) - int64(st.handledOf(st.endID))
			if cfg.jetStream && st.state == nil && sum.Lost > 0 {
				sum.AckedBefore, sum.Lost = uint64(sum.Lost), 0
			}
		}
	} else if st.bridged && cfg.role == roleAll {
		sum.FeedEnded = st.endID != 0
	}
	if cfg.role == roleFeed {
		sum.Received, sum.Lost = 0, 0
	}
	rate := float64(sum.Published) / elapsed.Seconds()
	if v.strategyOnly {
		rate = float64(received) / elapsed.Seconds()
	}
	sum.MsgsPerSec, sum.TargetReached = rate, targetReached(rate, cfg.rate)
	if v.strategyOnly { // the feed's process has the target
		sum.TargetRate, sum.TargetReached = 0, true
	}
	return sum
}

func printSummary(w io.Writer, s demoSummary, hooks bool) {
	fmt.Fprintf(w, "\nsummary:  %.1f s, %d symbols\n", s.Seconds, s.Symbols)
	if s.TargetRate == 0 {
		fmt.Fprintf(w, "rate:     handled %s msgs/s", group(uint64(s.MsgsPerSec)))
	} else {
		fmt.Fprintf(w, "rate:     target %s msgs/s, achieved %s/s", group(uint64(s.TargetRate)), group(uint64(s.MsgsPerSec)))
	}
	if !s.TargetReached {
		fmt.Fprint(w, ": target not reached")
	}
	fmt.Fprintln(w)
	if len(s.RatePerSecond) > 1 {
		last := s.RatePerSecond[max(0, len(s.RatePerSecond)-60):]
		fmt.Fprintf(w, "          %s  per second, max %s/s\n", sparkline(last), group(uint64(slices.Max(last))))
	}
	if s.Bridge == nil {
		fmt.Fprintf(w, "messages: published %s + timer ticks %d = accepted %s\n", group(s.Published), s.TimerTicks, group(s.Accepted))
		fmt.Fprintf(w, "          delivered %s; received by the hooks %s, %d lost\n", group(s.Delivered), group(s.Received), s.Lost)
	} else {
		printBridgeSummary(w, s)
	}
	fmt.Fprintf(w, "queue:    peak %s of %s; %d handler panics\n", group(uint64(s.QueuePeak)), group(uint64(s.Capacity)), s.Panics)
	if s.Role == roleFeed { // the subscribers are in the strategies' processes
		printHooks(w, s, hooks)
		return
	}
	fmt.Fprintf(w, "latency:  publish → handler p50 %s, p99 %s, p99.9 %s (whole run)\n",
		dur(time.Duration(s.LatencyP50)), dur(time.Duration(s.LatencyP99)), dur(time.Duration(s.LatencyP999)))
	if lo, hi, bars := latencyBars(s.latency); bars != "" {
		fmt.Fprintf(w, "          %s  %s to %s\n", bars, dur(lo), dur(hi))
	}
	fmt.Fprintf(w, "feed:     trades Equity %s, Futures %s; four-letter ticks %s\n",
		group(uint64(s.Trades["Equity"])), group(uint64(s.Trades["Futures"])), group(uint64(s.FourLetter)))
	var vw []string
	for _, sym := range wellKnown {
		if p, ok := s.VWAP[sym]; ok {
			vw = append(vw, fmt.Sprintf("%s %.2f", sym, p))
		}
	}
	if len(vw) > 0 {
		fmt.Fprintf(w, "VWAP:     %s\n", strings.Join(vw, "  "))
	}
	printHooks(w, s, hooks)
}

func printHooks(w io.Writer, s demoSummary, hooks bool) {
	if hooks {
		fmt.Fprintf(w, "%-35s %-8s %11s %10s %7s\n", "hook topic", "form", "calls", "mean", "panics")
		for _, h := range s.Hooks {
			fmt.Fprintf(w, "%-35s %-8s %11s %10s %7d\n", h.Topic, h.Form, group(h.Calls), dur(time.Duration(h.MeanNanos)), h.Panics)
		}
	}
}

// printBridgeSummary prints the messages and the bridges of a run with
// --nats.
func printBridgeSummary(w io.Writer, s demoSummary) {
	b := s.Bridge
	fmt.Fprintf(w, "bridge:   %s mode, %s, role %s\n", b.Mode, s.NATS, s.Role)
	fmt.Fprintf(w, "          sent %s, received %s, lost %d\n", group(b.Sent), group(b.Received), b.Lost)
	fmt.Fprintf(w, "          dropped %s duplicates, %s others; acks pending %d, reconnects %d\n",
		group(b.Duplicates), group(b.Dropped), b.PendingAcks, b.Reconnects)
	switch {
	case s.Role == roleFeed:
		fmt.Fprintf(w, "messages: published %s + end marker + timer ticks %d = accepted %s\n",
			group(s.Published), s.TimerTicks, group(s.Accepted))
		fmt.Fprintf(w, "          delivered %s\n", group(s.Delivered))
		return
	case !s.FeedEnded:
		fmt.Fprintf(w, "stream:   the feed's end did not arrive; handled %s here\n", group(s.Received))
	default:
		fmt.Fprintf(w, "stream:   the feed published %s; handled %s here", group(s.Published), group(s.Received))
		if s.HandledBefore > 0 {
			fmt.Fprintf(w, " + %s before (--state)", group(s.HandledBefore))
		}
		if s.AckedBefore > 0 {
			fmt.Fprintf(w, ", %s acknowledged before", group(s.AckedBefore))
		}
		fmt.Fprintf(w, ", %d lost\n", s.Lost)
	}
	fmt.Fprintf(w, "          %s handled twice", group(s.Duplicates))
	if s.Skipped > 0 {
		fmt.Fprintf(w, "; %s delivered again and skipped (--state)", group(s.Skipped))
	}
	fmt.Fprintln(w)
	if s.AckedBefore > 0 {
		fmt.Fprintln(w, "          (an earlier run had them; --state would count those handled twice)")
	}
	fmt.Fprintf(w, "messages: accepted %s (imported and timer ticks %d), delivered %s\n", group(s.Accepted), s.TimerTicks, group(s.Delivered))
}

// dur formats a duration with three significant digits in the largest
// fitting unit: 850 ns, 86.0 µs, 3.93 ms.
func dur(d time.Duration) string {
	f := float64(d)
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d)
	case d < time.Millisecond:
		return sig3(f/1e3) + " µs"
	case d < time.Second:
		return sig3(f/1e6) + " ms"
	default:
		return sig3(f/1e9) + " s"
	}
}

func sig3(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

// group formats n with thousands separators: 1,999,202.
func group(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

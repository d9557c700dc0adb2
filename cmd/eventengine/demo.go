package main

import (
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
"eventengine").

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
	if code, ok := parseCommandFlags(fs, demoUsage, args, stdout, stderr); !ok {
		return c, code, false
	}
	bad := func(format string, a ...any) (demoConfig, int, bool) {
		fmt.Fprintf(stderr, "eventengine demo: "+format+"\n", a...)
		return c, 2, false
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
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
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
	if sum.Lost != 0 || sum.Delivered != sum.Accepted || sum.Accepted != sum.Published+uint64(sum.TimerTicks) {
		fmt.Fprintf(stderr, "eventengine demo: FAIL: %d of %d published messages not received; %d accepted, %d delivered, %d timer ticks\n",
			sum.Lost, sum.Published, sum.Accepted, sum.Delivered, sum.TimerTicks)
		return 1
	}
	return 0
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
func demo(ctx context.Context, cfg demoConfig, out io.Writer, terminal bool) (demoSummary, error) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := engine.New(engine.WithCapacity(cfg.capacity), engine.WithHandlerStats(), engine.WithLogger(logger))
	if err != nil {
		return demoSummary{}, err
	}
	var srv *metricsServer
	if cfg.metricsAddr != "" {
		if srv, err = serveMetrics(cfg.metricsAddr, e); err != nil {
			return demoSummary{}, err
		}
		defer srv.Close()
	}
	st := &demoState{vwapNum: map[string]float64{}, vwapDen: map[string]float64{}, trades: map[string]int64{}, notional: map[string]float64{}}
	forms := map[string]string{}
	sub := func(form, pattern, name string, f func(event.Message)) error {
		forms[pattern] = form
		_, err := e.RegisterHandler(topic.MustParse(pattern), named{name, f})
		return err
	}
	// Every feed message carries its publish time (ticks.Nanotime) as its
	// last argument; the wildcard and range hooks, which between them
	// see every feed message, record publish → handler latency.
	errs := errors.Join(
		sub("exact", "Market.Data.AAPL", "last_price", func(m event.Message) {
			p, _ := event.Arg[float64](m, 0)
			st.mu.Lock()
			st.lastAAPL = p
			st.mu.Unlock()
		}),
		sub("wildcard", "Market.Data.{symbol}", "vwap", func(m event.Message) {
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
		sub("pattern", `Market.Data./^[A-Z]{4}$/`, "four_letter", func(event.Message) {
			st.mu.Lock()
			st.fourCount++
			st.mu.Unlock()
		}),
	)
	if errs != nil {
		return demoSummary{}, errs
	}
	// Subscribe to the 1-second timer before starting it, so that no tick
	// can reach the engine before its handler does. Each tick redraws the
	// view.
	refresh := make(chan struct{}, 1)
	forms[engine.SecondTimer.String()] = "timer"
	if _, err := e.RegisterHandler(engine.SecondTimer, named{"view", func(event.Message) {
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
	e.Start()
	if _, err := e.Timer(time.Second); err != nil {
		e.Stop()
		return demoSummary{}, err
	}
	if srv != nil && cfg.serving != nil {
		cfg.serving(srv.Addr()) // once the engine runs: a scrape from now on sees it running
	}

	var published atomic.Uint64
	var peak atomic.Int64 // the highest queue occupancy seen since the last redraw
	feedDone := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(feedDone)
		feed(ctx, e, cfg, &published, &peak)
	}()

	view := newLiveView(out, terminal, cfg, e, st, forms)
	if srv != nil {
		view.serving = srv.Addr()
	}
	if terminal {
		io.WriteString(out, "\x1b[?25l")       // hide the cursor while redrawing
		defer io.WriteString(out, "\x1b[?25h") // and show it again, also after Ctrl-C
	}
	view.draw(0, 0, 0)
	for running := true; running; {
		select {
		case <-ctx.Done():
			running = false
		case <-refresh:
			view.draw(time.Since(start), published.Load(), int(peak.Swap(0)))
		}
	}
	<-feedDone
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Shutdown(shutCtx); err != nil {
		return demoSummary{}, fmt.Errorf("graceful shutdown: %w", err)
	}
	elapsed := time.Since(start)
	view.final = true
	view.draw(elapsed, published.Load(), int(peak.Swap(0))) // the last partial second, after the shutdown
	sum := summarize(cfg, e, st, forms, published.Load(), view, elapsed)
	if srv != nil && cfg.finished != nil {
		cfg.finished(srv.Addr())
	}
	return sum, nil
}

// feed publishes ticks (90%) and trades (10%) at cfg.rate until ctx ends.
// It wakes every interval and publishes what is due, so messages go out in
// small bursts (about 16 at a time; at most every 100 µs, at least every
// 10 ms); after each burst it records the queue occupancy in peak. When
// the engine or the feed itself cannot keep up, the due messages pile up
// and the achieved rate falls short of the target, which the view says.
func feed(ctx context.Context, e *engine.Engine, cfg demoConfig, published *atomic.Uint64, peak *atomic.Int64) {
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
		for ; sent < due; sent++ {
			m := ms[r.IntN(len(ms))]
			m.price *= 1 + (r.Float64()-0.5)*0.001
			size := int64(1 + r.IntN(500))
			var err error
			if r.IntN(10) == 0 {
				err = e.PutContext(ctx, trade[m.kind], m.symbol, m.price, size, ticks.Nanotime())
			} else {
				err = e.PutContext(ctx, m.tick, m.price, size, ticks.Nanotime())
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
	}
}

// viewWidth is the widest line the live view writes: it fits an
// 80-column terminal without wrapping (a wrapped line would throw off the
// redraw, which moves the cursor up by the number of lines it wrote).
const viewWidth = 79

// viewHeight is the number of lines of the live view: 19 (5 of them the
// hooks' table), and one for the metrics address.
func viewHeight(cfg demoConfig) int {
	if cfg.metricsAddr != "" {
		return 20
	}
	return 19
}

// liveView draws the per-second view: in place on a terminal, one plain
// line per second otherwise.
type liveView struct {
	out       io.Writer
	terminal  bool
	cfg       demoConfig
	e         *engine.Engine
	st        *demoState
	forms     map[string]string
	serving   string // the metrics server's address, if any
	final     bool   // the frame after the shutdown
	lines     int
	lastPub   uint64
	lastAt    time.Duration
	lastCount []uint64
	peak      int       // over the whole run
	rates     []float64 // achieved rate of each full window (about a second)
}

func newLiveView(out io.Writer, terminal bool, cfg demoConfig, e *engine.Engine, st *demoState, forms map[string]string) *liveView {
	c, _ := st.latency.snapshot()
	return &liveView{out: out, terminal: terminal, cfg: cfg, e: e, st: st, forms: forms, lastCount: c}
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
		if full && !targetReached(rate, v.cfg.rate) {
			short = " (below target)"
		}
		fmt.Fprintf(v.out, "t=%4.1fs  %s msgs/s%s  queue peak %d/%d  latency %s  published %s + timer ticks %d, delivered %s, queued %d  panics %d\n",
			at.Seconds(), group(uint64(rate)), short, peak, s.Capacity, lat, group(published), ticks, group(s.Delivered), s.Queued, s.HandlerPanics)
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
	line("eventengine demo: %d symbols, 2 markets   %.1f s of %.1f s   %s", v.cfg.symbols, at.Seconds(), v.cfg.duration.Seconds(), state)
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
	line("rate      target %s/s   achieved %s/s%s", group(uint64(v.cfg.rate)), group(uint64(shown)), verdict)
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
	line("messages  published %s + timer ticks %d; delivered %s, queued %s", group(published), ticks, group(s.Delivered), group(uint64(s.Queued)))
	line("")
	line("%-35s %-8s %11s %10s %7s", "hook topic", "form", "calls", "mean", "panics")
	for _, h := range hooksSummary(v.e, v.forms) {
		line("%-35s %-8s %11s %10s %7d", h.Topic, h.Form, group(h.Calls), dur(time.Duration(h.MeanNanos)), h.Panics)
	}
	line("")
	v.st.mu.Lock()
	line("AAPL      last %s", price(v.st.lastAAPL))
	line("VWAP      %s", vwapLine(v.st, vwapSymbols))
	line("trades    Equity %s, Futures %s   four-letter ticks %s",
		group(uint64(v.st.trades["Equity"])), group(uint64(v.st.trades["Futures"])), group(uint64(v.st.fourCount)))
	v.st.mu.Unlock()
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

func hooksSummary(e *engine.Engine, forms map[string]string) []hookSummary {
	var hs []hookSummary
	for t, h := range e.All() {
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
	rate := float64(published) / elapsed.Seconds()
	return demoSummary{
		Seconds: elapsed.Seconds(), Symbols: cfg.symbols, TargetRate: cfg.rate,
		MsgsPerSec: rate, TargetReached: targetReached(rate, cfg.rate),
		Published: published, Received: received, Lost: int64(published) - int64(received),
		TimerTicks: st.timerTick, Accepted: s.Accepted, Delivered: s.Delivered,
		QueuePeak: v.peak, Capacity: s.Capacity,
		LatencyP50: int64(p[0]), LatencyP99: int64(p[1]), LatencyP999: int64(p[2]),
		Hooks: hooksSummary(e, forms), Trades: maps.Clone(st.trades), VWAP: vwap, FourLetter: st.fourCount,
		Panics: s.HandlerPanics, RatePerSecond: append([]float64{}, v.rates...), latency: counts,
	}
}

func printSummary(w io.Writer, s demoSummary, hooks bool) {
	fmt.Fprintf(w, "\nsummary:  %.1f s, %d symbols\n", s.Seconds, s.Symbols)
	fmt.Fprintf(w, "rate:     target %s msgs/s, achieved %s/s", group(uint64(s.TargetRate)), group(uint64(s.MsgsPerSec)))
	if !s.TargetReached {
		fmt.Fprint(w, ": target not reached")
	}
	fmt.Fprintln(w)
	if len(s.RatePerSecond) > 1 {
		last := s.RatePerSecond[max(0, len(s.RatePerSecond)-60):]
		fmt.Fprintf(w, "          %s  per second, max %s/s\n", sparkline(last), group(uint64(slices.Max(last))))
	}
	fmt.Fprintf(w, "messages: published %s + timer ticks %d = accepted %s\n", group(s.Published), s.TimerTicks, group(s.Accepted))
	fmt.Fprintf(w, "          delivered %s; received by the hooks %s, %d lost\n", group(s.Delivered), group(s.Received), s.Lost)
	fmt.Fprintf(w, "queue:    peak %s of %s; %d handler panics\n", group(uint64(s.QueuePeak)), group(uint64(s.Capacity)), s.Panics)
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
	if hooks {
		fmt.Fprintf(w, "%-35s %-8s %11s %10s %7s\n", "hook topic", "form", "calls", "mean", "panics")
		for _, h := range s.Hooks {
			fmt.Fprintf(w, "%-35s %-8s %11s %10s %7d\n", h.Topic, h.Form, group(h.Calls), dur(time.Duration(h.MeanNanos)), h.Panics)
		}
	}
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

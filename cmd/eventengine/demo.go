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
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/internal/clock"
	"github.com/eventengine/eventengine/topic"
)

func init() {
	register(command{name: "demo", summary: "run a live, simulated market-data feed through the engine", run: runDemo})
}

const demoUsage = `Usage: eventengine demo [flags]

Publishes simulated ticks (Market.Data.<SYMBOL>) and trades
(Market.<Equity|Futures>.Trade) and subscribes with every topic form:

  Market.Data.AAPL                exact      last price of one symbol
  Market.Data.{symbol}            wildcard   running VWAP per symbol, latency
  Market.(Equity|Futures).Trade   range      trades and notional per market
  Market.Data./^[A-Z]{4}$/        pattern    ticks of four-letter symbols
  EventEngine.Internal.Timer.Second  timer   drives the live view

It shows throughput, queue occupancy, publish-to-handler latency and per-hook
statistics each second, then shuts down gracefully (everything accepted is
delivered) and prints a summary.

Flags:
`

// demoConfig holds the demo's flags.
type demoConfig struct {
	duration time.Duration
	rate     int
	symbols  int
	capacity int
	asJSON   bool
	seed     uint64
}

func parseDemoFlags(args []string, stdout, stderr io.Writer) (demoConfig, int, bool) {
	var c demoConfig
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to run (Ctrl-C stops earlier)")
	fs.IntVar(&c.rate, "rate", 200_000, "messages published per second")
	fs.IntVar(&c.symbols, "symbols", 50, "number of symbols, split over two markets")
	fs.IntVar(&c.capacity, "capacity", engine.DefaultCapacity, "engine queue capacity")
	fs.BoolVar(&c.asJSON, "json", false, "print the summary as JSON")
	fs.Uint64Var(&c.seed, "seed", 1, "random seed of the simulated feed")
	fs.Usage = func() { fmt.Fprint(fs.Output(), demoUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return c, 0, false
		}
		return c, 2, false
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
	case c.capacity < 1:
		return bad("--capacity must be at least 1, got %d", c.capacity)
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

// demoState is what the subscribers keep; the loop goroutine writes it, the
// view reads it under mu.
type demoState struct {
	mu        sync.Mutex
	vwapNum   map[string]float64
	vwapDen   map[string]float64
	lastAAPL  float64
	trades    map[string]int64
	notional  map[string]float64
	fourCount int64
	timerTick int64
	latency   histogram
}

// demoSummary is printed at the end (as JSON with --json).
type demoSummary struct {
	Seconds     float64            `json:"seconds"`
	Published   uint64             `json:"published"`
	Accepted    uint64             `json:"accepted"` // feed messages and timer ticks
	Delivered   uint64             `json:"delivered"`
	Lost        int64              `json:"lost"`
	MsgsPerSec  float64            `json:"msgs_per_sec"`
	LatencyP50  string             `json:"latency_p50"`
	LatencyP99  string             `json:"latency_p99"`
	LatencyP999 string             `json:"latency_p999"`
	Hooks       []hookSummary      `json:"hooks"`
	Trades      map[string]int64   `json:"trades"`
	VWAP        map[string]float64 `json:"vwap_sample"`
	TimerTicks  int64              `json:"timer_ticks"`
	Panics      uint64             `json:"handler_panics"`
}

type hookSummary struct {
	Topic      string  `json:"topic"`
	Calls      uint64  `json:"calls"`
	MeanNanos  float64 `json:"mean_ns"`
	Panics     uint64  `json:"panics"`
	Generic    bool    `json:"generic"`
	Subscribed string  `json:"form"`
}

func runDemo(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	cfg, code, ok := parseDemoFlags(args, stdout, stderr)
	if !ok {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	// With --json standard output carries only the summary; the live view
	// goes to standard error.
	view := stdout
	if cfg.asJSON {
		view = stderr
	}
	sum, err := demo(ctx, cfg, view, isTerminal(view))
	if err != nil {
		fmt.Fprintln(stderr, "eventengine demo:", err)
		return 1
	}
	if cfg.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(sum)
	} else {
		printSummary(stdout, sum)
	}
	if sum.Lost != 0 {
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
	st := &demoState{vwapNum: map[string]float64{}, vwapDen: map[string]float64{}, trades: map[string]int64{}, notional: map[string]float64{}}
	forms := map[string]string{}
	sub := func(form, pattern string, f func(event.Message)) error {
		forms[pattern] = form
		_, err := e.RegisterFunc(topic.MustParse(pattern), f)
		return err
	}
	errs := errors.Join(
		sub("exact", "Market.Data.AAPL", func(m event.Message) {
			p, _ := event.Arg[float64](m, 0)
			st.mu.Lock()
			st.lastAAPL = p
			st.mu.Unlock()
		}),
		sub("wildcard", "Market.Data.{symbol}", func(m event.Message) {
			p, _ := event.Arg[float64](m, 0)
			q, _ := event.Arg[int64](m, 1)
			sent, _ := event.Arg[int64](m, 2)
			st.latency.Record(time.Duration(clock.Nanotime() - sent))
			sym := m.Topic.Part(2).Literal()
			st.mu.Lock()
			st.vwapNum[sym] += p * float64(q)
			st.vwapDen[sym] += float64(q)
			st.mu.Unlock()
		}),
		sub("range", "Market.(Equity|Futures).Trade", func(m event.Message) {
			p, _ := event.Arg[float64](m, 1)
			q, _ := event.Arg[int64](m, 2)
			sent, _ := event.Arg[int64](m, 3)
			st.latency.Record(time.Duration(clock.Nanotime() - sent))
			kind := m.Topic.Part(1).Literal()
			st.mu.Lock()
			st.trades[kind]++
			st.notional[kind] += p * float64(q)
			st.mu.Unlock()
		}),
		sub("pattern", `Market.Data./^[A-Z]{4}$/`, func(event.Message) {
			st.mu.Lock()
			st.fourCount++
			st.mu.Unlock()
		}),
	)
	if errs != nil {
		return demoSummary{}, errs
	}
	// Subscribe to the 1-second timer before starting it, so that no tick
	// can reach the engine before its handler does.
	refresh := make(chan struct{}, 1)
	forms[engine.SecondTimer.String()] = "timer"
	e.RegisterFunc(engine.SecondTimer, func(event.Message) {
		st.mu.Lock()
		st.timerTick++
		st.mu.Unlock()
		select {
		case refresh <- struct{}{}:
		default:
		}
	})
	e.Start()
	if _, err := e.Timer(time.Second); err != nil {
		return demoSummary{}, err
	}

	// The feed: one producer goroutine, paced per millisecond.
	var published atomic.Uint64
	feedDone := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(feedDone)
		feed(ctx, e, cfg, &published)
	}()

	view := newLiveView(out, terminal, e, st, forms)
	for running := true; running; {
		select {
		case <-ctx.Done():
			running = false
		case <-refresh:
			view.draw(time.Since(start), published.Load())
		}
	}
	<-feedDone
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Shutdown(shutCtx); err != nil {
		return demoSummary{}, fmt.Errorf("graceful shutdown: %w", err)
	}
	elapsed := time.Since(start)
	view.draw(elapsed, published.Load()) // the last partial second, after the shutdown
	return summarize(e, st, forms, published.Load(), elapsed), nil
}

// feed publishes ticks (90%) and trades (10%) at cfg.rate until ctx ends.
func feed(ctx context.Context, e *engine.Engine, cfg demoConfig, published *atomic.Uint64) {
	r := rand.New(rand.NewPCG(cfg.seed, 42))
	ms := makeMarkets(cfg.symbols, r)
	trade := map[string]topic.Topic{
		"Equity":  topic.MustParse("Market.Equity.Trade"),
		"Futures": topic.MustParse("Market.Futures.Trade"),
	}
	start := time.Now()
	var sent uint64
	tick := time.NewTicker(time.Millisecond)
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
				err = e.PutContext(ctx, trade[m.kind], m.symbol, m.price, size, clock.Nanotime())
			} else {
				err = e.PutContext(ctx, m.tick, m.price, size, clock.Nanotime())
			}
			if err != nil {
				return // ctx ended while the queue was full: that message was not accepted
			}
			published.Add(1)
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// liveView draws the per-second view.
type liveView struct {
	out       io.Writer
	terminal  bool
	e         *engine.Engine
	st        *demoState
	forms     map[string]string
	lines     int
	lastDel   uint64
	lastAt    time.Duration
	lastCount []uint64
}

func newLiveView(out io.Writer, terminal bool, e *engine.Engine, st *demoState, forms map[string]string) *liveView {
	c, _ := st.latency.snapshot()
	return &liveView{out: out, terminal: terminal, e: e, st: st, forms: forms, lastCount: c}
}

func (v *liveView) draw(at time.Duration, published uint64) {
	s := v.e.Stats()
	rate := float64(s.Delivered-v.lastDel) / (at - v.lastAt).Seconds()
	counts, _ := v.st.latency.snapshot()
	window, n := diff(counts, v.lastCount)
	p := percentiles(window, n, 0.50, 0.99)
	v.lastDel, v.lastAt, v.lastCount = s.Delivered, at, counts
	if !v.terminal {
		fmt.Fprintf(v.out, "t=%4.1fs  msgs/s=%-10.0f queue=%d/%d  latency p50=%v p99=%v  published=%d delivered=%d panics=%d\n",
			at.Seconds(), rate, s.Queued, s.Capacity, p[0], p[1], published, s.Delivered, s.HandlerPanics)
		return
	}
	var b strings.Builder
	if v.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", v.lines) // back to the top of the view
	}
	line := func(format string, a ...any) { fmt.Fprintf(&b, "\x1b[2K"+format+"\n", a...) }
	line("eventengine demo  %5.1fs   (Ctrl-C to stop)", at.Seconds())
	line("throughput  %12.0f msgs/s    published %d  delivered %d", rate, published, s.Delivered)
	line("queue       %5d / %d", s.Queued, s.Capacity)
	line("latency     p50 %-10v p99 %v   (publish → handler)", p[0], p[1])
	line("")
	line("%-36s %-9s %12s %10s %7s", "hook", "form", "calls", "mean", "panics")
	for _, h := range hooksSummary(v.e, v.forms) {
		line("%-36s %-9s %12d %10v %7d", h.Topic, h.Subscribed, h.Calls, time.Duration(h.MeanNanos), h.Panics)
	}
	v.lines = strings.Count(b.String(), "\n")
	io.WriteString(v.out, b.String())
}

func hooksSummary(e *engine.Engine, forms map[string]string) []hookSummary {
	var hs []hookSummary
	for t, h := range e.All() {
		tot := h.Totals()
		hs = append(hs, hookSummary{Topic: t.String(), Calls: tot.Calls, MeanNanos: float64(tot.Mean().Nanoseconds()),
			Panics: tot.Panics, Generic: !t.IsExact(), Subscribed: forms[t.String()]})
	}
	return hs
}

func summarize(e *engine.Engine, st *demoState, forms map[string]string, published uint64, elapsed time.Duration) demoSummary {
	s := e.Stats()
	counts, n := st.latency.snapshot()
	p := percentiles(counts, n, 0.50, 0.99, 0.999)
	st.mu.Lock()
	defer st.mu.Unlock()
	vwap := map[string]float64{}
	syms := slices.Sorted(maps.Keys(st.vwapDen))
	for _, sym := range syms[:min(5, len(syms))] {
		vwap[sym] = float64(int(st.vwapNum[sym]/st.vwapDen[sym]*100)) / 100
	}
	return demoSummary{
		// Every accepted message is the feed's or a timer tick; after the
		// graceful shutdown all of them must have been delivered.
		Seconds: elapsed.Seconds(), Published: published, Delivered: s.Delivered,
		Accepted: s.Accepted, Lost: int64(published) + st.timerTick - int64(s.Delivered),
		MsgsPerSec: float64(s.Delivered) / elapsed.Seconds(),
		LatencyP50: p[0].String(), LatencyP99: p[1].String(), LatencyP999: p[2].String(),
		Hooks: hooksSummary(e, forms), Trades: maps.Clone(st.trades), VWAP: vwap, TimerTicks: st.timerTick, Panics: s.HandlerPanics,
	}
}

func printSummary(w io.Writer, s demoSummary) {
	fmt.Fprintf(w, "\nsummary: %.1fs, %d published, %d delivered, %d lost, %.0f msgs/s\n", s.Seconds, s.Published, s.Delivered, s.Lost, s.MsgsPerSec)
	fmt.Fprintf(w, "latency publish → handler: p50 %s, p99 %s, p99.9 %s\n", s.LatencyP50, s.LatencyP99, s.LatencyP999)
	fmt.Fprintf(w, "trades: %v   timer ticks: %d   handler panics: %d\n", s.Trades, s.TimerTicks, s.Panics)
	fmt.Fprintf(w, "%-36s %-9s %12s %10s %7s\n", "hook", "form", "calls", "mean", "panics")
	for _, h := range s.Hooks {
		fmt.Fprintf(w, "%-36s %-9s %12d %10v %7d\n", h.Topic, h.Subscribed, h.Calls, time.Duration(h.MeanNanos), h.Panics)
	}
}

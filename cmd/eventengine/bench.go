package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/eventengine/eventengine/internal/scenario"
)

func init() {
	register(command{name: "bench", summary: "measure the engine against a Go channel on this machine", run: runBench})
}

const benchUsage = `Usage: eventengine bench [flags]

Runs the engine-only benchmark scenarios and a buffered Go channel as the
baseline: 1 producer → 1 subscriber, 4 producers → 1, fan-out to 10
subscribers, wildcard delivery with 1,000 non-matching wildcard
subscriptions, and latency at a paced 100k msgs/s. Every delivery is
counted; a lost message fails the run.

Each scenario runs in interleaved rounds, the systems in turn (channel,
engine, channel, engine, ...), so that whatever else the machine does falls
on both alike. The table gives, per system, the median of the rounds and
their range (min–max), and the engine's ratio to the channel taken round by
round: of msgs/s, or of p99 in the latency scenario (lower is better there).
--json prints every round's figures as well.

With the defaults it takes about 25 s on a 2-core machine (a warm-up run,
then 5 rounds of about 5 s; a latency round publishes for 1 s per system);
--quick about 5 s.
Peers (NATS, watermill, ...) are in the bench module: see docs/benchmarks.md.

Flags:
`

// Bounds of the counts: more messages than maxBenchMessages would need
// gigabytes (the harness allocates every message of a run before it), and
// more rounds than maxBenchRounds would run for hours.
const (
	maxBenchMessages = 100_000_000
	maxBenchRounds   = 1000
)

func runBench(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "fewer messages and shorter latency rounds (about 5 s in all)")
	asJSON := fs.Bool("json", false, "print the results as JSON, with every round's figures")
	messages := &countFlag{lo: 1, hi: maxBenchMessages}
	fs.Var(messages, "messages", "the `number` of messages per scenario and round (default 2,000,000; 200,000 with --quick)")
	rounds := &countFlag{v: 5, lo: 1, hi: maxBenchRounds}
	fs.Var(rounds, "rounds", "the `number` of interleaved rounds per scenario (the median and range are of these)")
	if code, ok := parseCommandFlags(fs, benchUsage, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "eventengine bench: unexpected argument %q\nRun 'eventengine bench --help' for usage.\n", fs.Arg(0))
		return 2
	}
	n, paced := int64(2_000_000), time.Second
	if *quick {
		n, paced = 200_000, 200*time.Millisecond
	}
	if messages.set {
		n = messages.v
	}
	if load := loadAverage(); load != "" {
		fmt.Fprintf(stderr, "load average %s (the numbers are of this machine now: anything else running shows in them)\n", load)
	}
	rep := benchRun(n, paced, int(rounds.v), stderr)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		enc.Encode(rep) // a report always encodes; a write error has nowhere to go
	} else {
		rounds := "1 round"
		if rep.Rounds > 1 {
			rounds = fmt.Sprintf("%d interleaved rounds", rep.Rounds)
		}
		fmt.Fprintf(stdout, "%s, GOMAXPROCS=%d, %s; %s messages per scenario and round (latency: %s messages at the paced rate); %.0f s\n\n",
			rep.Go, rep.GOMAXPROCS, rounds, group(uint64(n)), group(uint64(rep.PacedMessages)), rep.Seconds)
		scenario.Markdown(stdout, rep.Summaries)
		fmt.Fprintf(stdout, "\nEach figure is the median of the rounds (min–max). vs baseline: the ratio\n"+
			"to %s in the same round, of msgs/s (higher is better),\n"+
			"or of p99 in the latency scenario (lower is better).\n", rep.Baseline)
		if t := roundTrips(rep.Runs); t.N > 0 {
			fmt.Fprintf(stdout, "\nBefore each run, a cache line went between two threads and back in %.0f ns\n"+
				"(median; %.0f–%.0f). Where a VM's host puts its vCPUs sets this figure, and\n"+
				"the engine's one-producer speed follows it (docs/benchmarks.md, \"Two speeds\").\n", t.Median, t.Min, t.Max)
		}
	}
	if rep.Failed {
		return 1
	}
	return 0
}

// benchReport is the outcome of `eventengine bench`, as --json prints it.
type benchReport struct {
	Go         string `json:"go"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	// Messages is the number of messages per throughput run,
	// PacedMessages per latency run (at most Paced at the paced rate).
	Messages      int64   `json:"messages"`
	PacedMessages int64   `json:"paced_messages"`
	Paced         string  `json:"paced"`
	Rounds        int     `json:"rounds"`
	Baseline      string  `json:"baseline"`
	Seconds       float64 `json:"seconds"`
	// Failed reports whether any run failed (lost or duplicated a message,
	// or an error).
	Failed    bool               `json:"failed"`
	Summaries []scenario.Summary `json:"summaries"`
	Runs      []benchRound       `json:"runs"`
}

// benchRound is the result of one run, with its round (1-based).
type benchRound struct {
	Round int `json:"round"`
	scenario.Result
}

// benchRun runs every standard scenario on the channel and the engine in
// interleaved rounds, writing one progress line per run to progress.
func benchRun(n int64, paced time.Duration, rounds int, progress io.Writer) benchReport {
	systems := []scenario.System{scenario.Channel{}, scenario.Engine{}}
	rep := benchReport{Go: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), Messages: n, Paced: paced.String(),
		Rounds: rounds, Baseline: systems[0].Name()}
	start := time.Now()
	// A warm-up run of each system, not reported: the first run of a
	// process pays for growing the heap (the harness allocates every
	// message of a run), which would land on whichever system runs first.
	for _, sys := range systems {
		scenario.Run(sys, scenario.Standard()[0], n, time.Minute)
	}
	fmt.Fprintf(progress, "[%6.1fs] warm-up done\n", time.Since(start).Seconds())
	for _, s := range scenario.Standard() {
		count := n
		if s.PacedRate > 0 {
			count = max(1, min(n, int64(paced.Seconds()*float64(s.PacedRate))))
			rep.PacedMessages = count
		}
		results := scenario.Interleave(systems, s, count, rounds, time.Minute, func(round int, r scenario.Result) {
			fmt.Fprintf(progress, "[%6.1fs] round %d/%d  %-30s %-24s %s\n", time.Since(start).Seconds(), round+1, rounds,
				s.Name, r.System, outcome(r))
		})
		for i, round := range results {
			for _, r := range round {
				rep.Runs = append(rep.Runs, benchRound{Round: i + 1, Result: r})
				rep.Failed = rep.Failed || r.Error != ""
			}
		}
		rep.Summaries = append(rep.Summaries, scenario.Summarize(s, results, 0)...)
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep
}

// roundTrips is the spread of the runs' line round trips.
func roundTrips(runs []benchRound) scenario.Spread {
	var xs []float64
	for _, r := range runs {
		if r.LineRoundTrip > 0 {
			xs = append(xs, r.LineRoundTrip)
		}
	}
	return scenario.SpreadOf(xs)
}

// outcome describes one run in a progress line.
func outcome(r scenario.Result) string {
	switch {
	case r.NA != "":
		return "n/a (" + r.NA + ")"
	case r.Error != "":
		return "FAILED: " + r.Error + " (not run again)"
	case r.P50 > 0:
		return fmt.Sprintf("p50 %s  p99 %s  p99.9 %s", scenario.Micros(r.P50), scenario.Micros(r.P99), scenario.Micros(r.P999))
	}
	return fmt.Sprintf("%9s msgs/s%s", scenario.Human(r.MsgsPerSec), tripText(r.LineRoundTrip))
}

// tripText shows a run's line round trip (see scenario.LineRoundTrip).
func tripText(ns float64) string {
	if ns <= 0 {
		return ""
	}
	return fmt.Sprintf("  (line round trip %.0f ns)", ns)
}

// countFlag is a flag holding a whole number between lo and hi: anything
// else is refused when the flag is parsed, with the bounds in the message
// (the flag package's own integers say "parse error" and accept 0 and
// negative counts). Digits may be grouped with '_' or ','.
type countFlag struct {
	v, lo, hi int64
	set       bool // given on the command line
}

func (c *countFlag) String() string {
	if c == nil || c.v == 0 {
		return "" // PrintDefaults shows no default: the usage text says it
	}
	return strconv.FormatInt(c.v, 10)
}

func (c *countFlag) Set(s string) error {
	v, err := strconv.ParseInt(strings.NewReplacer("_", "", ",", "").Replace(s), 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && strings.HasPrefix(s, "-"), err == nil && v < c.lo:
		return fmt.Errorf("must be at least %s", group(uint64(c.lo)))
	case errors.Is(err, strconv.ErrRange), err == nil && v > c.hi:
		return fmt.Errorf("must be at most %s", group(uint64(c.hi)))
	case err != nil:
		return errors.New("not a whole number")
	}
	c.v, c.set = v, true
	return nil
}

// loadAverage returns the 1, 5 and 15-minute load averages ("" where
// /proc/loadavg does not exist).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

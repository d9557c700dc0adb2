package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/eventengine/eventengine/internal/scenario"
)

func init() {
	register(command{name: "bench", summary: "measure the engine against a Go channel on this machine", run: runBench})
}

const benchUsage = `Usage: eventengine bench [flags]

Runs the engine-only benchmark scenarios and a buffered Go channel as the
baseline, in the same run: 1 producer → 1 subscriber, 4 producers → 1,
fan-out to 10 subscribers, wildcard delivery with 1,000 non-matching
wildcard subscriptions, and latency at a paced 100k msgs/s. Every delivery
is counted; a lost message fails the run. Peers (NATS, watermill, ...) are in
the bench module: see docs/benchmarks.md.

Flags:
`

func runBench(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "fewer messages (a few seconds in all)")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	messages := fs.Int64("messages", 0, "messages per scenario (default 2,000,000; 200,000 with --quick)")
	if code, ok := parseCommandFlags(fs, benchUsage, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "eventengine bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	// 0 is the flag's unset value: an explicit --messages 0 (or less) is an
	// error, not a request for the default.
	n := *messages
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "messages" })
	switch {
	case set && n < 1:
		fmt.Fprintf(stderr, "eventengine bench: --messages must be at least 1, got %d\n", n)
		return 2
	case !set && *quick:
		n = 200_000
	case !set:
		n = 2_000_000
	}
	systems := []scenario.System{scenario.Channel{}, scenario.Engine{}}
	if load := loadAverage(); load != "" {
		fmt.Fprintf(stderr, "load average %s (the numbers are of this machine now: anything else running shows in them)\n", load)
	}
	var results []scenario.Result
	start := time.Now()
	failed := false
	for _, s := range scenario.Standard() {
		count := n
		if s.PacedRate > 0 {
			count = min(n, int64(s.PacedRate)) // at most one second of paced publishing
		}
		for _, sys := range systems {
			fmt.Fprintf(stderr, "[%6.1fs] %-30s %-24s ", time.Since(start).Seconds(), s.Name, sys.Name())
			r := scenario.Run(sys, s, count, time.Minute)
			switch {
			case r.NA != "":
				fmt.Fprintf(stderr, "n/a (%s)\n", r.NA)
			case r.Error != "":
				failed = true
				fmt.Fprintf(stderr, "FAILED: %s\n", r.Error)
			case r.P50 > 0:
				fmt.Fprintf(stderr, "p50 %s  p99 %s  p99.9 %s\n", dur(time.Duration(r.P50)), dur(time.Duration(r.P99)), dur(time.Duration(r.P999)))
			default:
				fmt.Fprintf(stderr, "%9s msgs/s\n", scenario.Human(r.MsgsPerSec))
			}
			results = append(results, r)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"go": runtime.Version(), "gomaxprocs": runtime.GOMAXPROCS(0), "messages": n, "results": results})
	} else {
		fmt.Fprintf(stdout, "%s, GOMAXPROCS=%d, %d messages per scenario\n\n", runtime.Version(), runtime.GOMAXPROCS(0), n)
		scenario.Markdown(stdout, results, scenario.Channel{}.Name())
	}
	if failed {
		return 1
	}
	return 0
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

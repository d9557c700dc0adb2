// Command peerbench runs every benchmark scenario against every event system
// and writes results.json, results.md and results.svg. Run it from the
// repository root:
//
//	cd bench && go run ./cmd/peerbench           # full (a few minutes)
//	cd bench && go run ./cmd/peerbench --quick   # under a minute
//
// It exits with status 1 if any system lost or duplicated a message.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/eventengine/eventengine/bench"
	"github.com/eventengine/eventengine/internal/scenario"
)

func main() {
	quick := flag.Bool("quick", false, "100,000 messages per scenario (under a minute)")
	messages := flag.Int64("messages", 0, "messages per scenario (default 1,000,000; 100,000 with --quick)")
	out := flag.String("out", ".", "directory for results.json, results.md and results.svg")
	flag.Parse()
	n, mode := *messages, "full"
	if *quick {
		mode = "quick"
	}
	if n <= 0 {
		n = map[bool]int64{true: 100_000, false: 1_000_000}[*quick]
	}
	report := bench.Report{Meta: bench.ReadMeta(mode, n)}
	start := time.Now()
	failed := 0
	for _, s := range scenario.Standard() {
		count := n
		if s.PacedRate > 0 {
			count = min(n, int64(s.PacedRate)) // one second of paced publishing at most
		}
		for _, sys := range bench.Systems() {
			fmt.Fprintf(os.Stderr, "[%6.1fs] %-30s %-34s ", time.Since(start).Seconds(), s.Name, sys.Name())
			r := scenario.Run(sys, s, count, 2*time.Minute)
			switch {
			case r.NA != "":
				fmt.Fprintf(os.Stderr, "n/a: %s\n", r.NA)
			case r.Error != "":
				failed++
				fmt.Fprintf(os.Stderr, "FAILED: %s\n", r.Error)
			default:
				fmt.Fprintf(os.Stderr, "%12.0f msgs/s\n", r.MsgsPerSec)
			}
			report.Results = append(report.Results, r)
		}
	}
	if err := write(*out, report); err != nil {
		fmt.Fprintln(os.Stderr, "peerbench:", err)
		os.Exit(2)
	}
	fmt.Fprintf(os.Stderr, "done in %.1fs; wrote results.json, results.md, results.svg in %s\n", time.Since(start).Seconds(), *out)
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "peerbench: %d runs lost messages or failed\n", failed)
		os.Exit(1)
	}
}

func write(dir string, r bench.Report) error {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	md, err := os.Create(filepath.Join(dir, "results.md"))
	if err != nil {
		return err
	}
	bench.WriteMarkdown(md, r)
	if err := md.Close(); err != nil {
		return err
	}
	svg, err := os.Create(filepath.Join(dir, "results.svg"))
	if err != nil {
		return err
	}
	bench.WriteSVG(svg, r)
	return svg.Close()
}

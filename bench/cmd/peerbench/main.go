// Command peerbench runs every benchmark scenario against every event system
// (a Go channel, eventengine and its peers) and writes results.json,
// results.md and results.svg into the bench directory. Run it from the
// repository root or from bench/:
//
//	go run ./bench/cmd/peerbench --quick    # from the root: under a minute
//	go run ./bench/cmd/peerbench            # full run: a few minutes
//	cd bench && go run ./cmd/peerbench      # the same, from bench/
//
// Progress (scenario, system, elapsed time, outcome) goes to stderr. The
// command exits with status 1 if any system lost or duplicated a message or
// failed otherwise, after writing the results.
package main

import (
	"encoding/json"
	"errors"
	flag "flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eventengine/eventengine/bench"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

// run runs the command with args (without the program name), writing
// progress and errors to stderr, and returns the exit status.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("peerbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "quick run: fewer messages, shorter runs (the whole run well under a minute)")
	messages := fs.Int64("messages", 0, "messages per throughput run, at most (default 5,000,000; 200,000 with --quick)")
	budget := fs.Duration("budget", 0, "about how long a throughput run of a slow system may take (default 3s; 400ms with --quick)")
	repeats := fs.Int("repeats", 0, "measured runs per system and scenario, the median reported (default 3; 1 with --quick)")
	paced := fs.Duration("paced", 0, "how long the latency scenario publishes at its paced rate (default 2s; 500ms with --quick)")
	fixed := fs.Bool("fixed", false, "no pilot runs: every throughput run gets --messages, however slow the system")
	out := fs.String("out", "", "directory for results.json, results.md and results.svg (default: the bench directory)")
	render := fs.String("render", "", "run nothing: rewrite results.md and results.svg from this results.json")
	only := fs.String("systems", "", "comma-separated parts of system names to run (default: all)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./bench/cmd/peerbench [--quick] [flags]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "peerbench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	// 0 is the unset value of these flags (the mode's default): given
	// explicitly, 0 or less is an error, not a request for the default.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["messages"] && *messages < 1:
		fmt.Fprintf(stderr, "peerbench: --messages must be at least 1, got %d\n", *messages)
		return 2
	case set["budget"] && *budget <= 0:
		fmt.Fprintf(stderr, "peerbench: --budget must be positive, got %v (--fixed runs without a budget)\n", *budget)
		return 2
	case set["paced"] && *paced <= 0:
		fmt.Fprintf(stderr, "peerbench: --paced must be positive, got %v\n", *paced)
		return 2
	case set["repeats"] && *repeats < 1:
		fmt.Fprintf(stderr, "peerbench: --repeats must be at least 1, got %d\n", *repeats)
		return 2
	}
	cfg := bench.Full()
	if *quick {
		cfg = bench.Quick()
	}
	if *messages > 0 {
		cfg.Messages = *messages
	}
	if *budget > 0 {
		cfg.Budget = *budget
	}
	if *repeats > 0 {
		cfg.Repeats = *repeats
	}
	if *paced > 0 {
		cfg.Paced = *paced
	}
	if *fixed {
		cfg.Budget = 0
	}
	if *only != "" {
		for _, sys := range bench.Systems() {
			for part := range strings.SplitSeq(*only, ",") {
				if part != "" && strings.Contains(strings.ToLower(sys.Name()), strings.ToLower(part)) {
					cfg.Systems = append(cfg.Systems, sys)
					break
				}
			}
		}
		if len(cfg.Systems) == 0 {
			fmt.Fprintf(stderr, "peerbench: no system matches %q\n", *only)
			return 2
		}
	}
	dir := *out
	if dir == "" {
		var err error
		if dir, err = benchDir(); err != nil {
			fmt.Fprintln(stderr, "peerbench:", err)
			return 2
		}
	} else if err := outDir(dir); err != nil {
		// Before running anything: a full run takes minutes.
		fmt.Fprintln(stderr, "peerbench:", err)
		return 2
	}

	if *render != "" {
		var r bench.Report
		b, err := os.ReadFile(*render)
		if err == nil {
			err = json.Unmarshal(b, &r)
		}
		if err == nil {
			err = writeViews(dir, r)
		}
		if err != nil {
			fmt.Fprintln(stderr, "peerbench:", err)
			return 2
		}
		return 0
	}

	start := time.Now()
	report := bench.Report{Meta: bench.ReadMeta(cfg)}
	fmt.Fprintf(stderr, "peerbench: %s mode, %s, %s, GOMAXPROCS=%d, load average %s\n",
		cfg.Mode, report.Meta.Go, report.Meta.CPU, report.Meta.GOMAXPROCS, report.Meta.LoadStart)
	report.Results = cfg.Run(stderr)
	report.Meta.Seconds = time.Since(start).Seconds()
	report.Meta.LoadEnd = bench.LoadAvg()
	if err := write(dir, report); err != nil {
		fmt.Fprintln(stderr, "peerbench:", err)
		return 2
	}
	fmt.Fprintf(stderr, "peerbench: %.1fs; wrote %s\n", report.Meta.Seconds,
		strings.Join([]string{filepath.Join(dir, "results.json"), filepath.Join(dir, "results.md"), filepath.Join(dir, "results.svg")}, ", "))
	if f := report.Failures(); len(f) > 0 {
		fmt.Fprintf(stderr, "peerbench: FAIL: %d of %d runs failed:\n", len(f), len(report.Results))
		for _, r := range f {
			fmt.Fprintf(stderr, "  %s, %s: %s\n", r.System, r.Scenario, r.Error)
		}
		return 1
	}
	return 0
}

// outDir makes sure results can be written into dir: it creates dir (and
// its parents) if needed and checks that a file can be created in it.
func outDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out %s: cannot create the directory: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".peerbench-*")
	if err != nil {
		return fmt.Errorf("--out %s: cannot write there: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// benchDir finds the bench module's directory: the working directory if
// it is bench/ (or below it), else ./bench.
func benchDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			if isBenchModule(b) {
				return d, nil
			}
			if b, err := os.ReadFile(filepath.Join(d, "bench", "go.mod")); err == nil && isBenchModule(b) {
				return filepath.Join(d, "bench"), nil
			}
		}
		if filepath.Dir(d) == d {
			return "", errors.New("cannot find the bench directory (run from the repository or give --out)")
		}
	}
}

func isBenchModule(gomod []byte) bool {
	for line := range strings.SplitSeq(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return f[1] == "github.com/eventengine/eventengine/bench"
		}
	}
	return false
}

func write(dir string, r bench.Report) error {
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return writeViews(dir, r)
}

// writeViews writes results.md and results.svg.
func writeViews(dir string, r bench.Report) error {
	var md, svg strings.Builder
	bench.WriteMarkdown(&md, r)
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	bench.WriteSVG(&svg, r)
	return os.WriteFile(filepath.Join(dir, "results.svg"), []byte(svg.String()), 0o644)
}

package bench

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/eventengine/eventengine/internal/scenario"
)

// Config says how much of the benchmark to run.
type Config struct {
	// Mode names the configuration in the results ("quick", "full").
	Mode string
	// Messages is the number of messages of a throughput run, at most.
	Messages int64
	// Budget caps a throughput run of a slow system: a pilot run measures
	// the system's rate, and the measured run gets enough messages for
	// about Budget (never more than Messages, never fewer than Pilot).
	// Zero means no pilot and no cap: every run gets Messages.
	Budget time.Duration
	// Pilot is the number of messages of the pilot run (also a warm-up).
	Pilot int64
	// Repeats is the number of measured runs of each system on each
	// scenario (after one pilot); the result is the median run.
	Repeats int
	// Paced is how long the latency scenario publishes at its paced rate.
	Paced time.Duration
	// Timeout bounds the wait for deliveries after the last publish; a
	// system that has not delivered everything by then has lost messages.
	Timeout time.Duration
	// Systems and Scenarios are what to run: every scenario on every
	// system. Nil means Systems() and scenario.Standard().
	Systems   []scenario.System
	Scenarios []scenario.Scenario
}

// Quick is the --quick configuration: the whole run in well under a minute.
func Quick() Config {
	return Config{Mode: "quick", Messages: 200_000, Budget: 400 * time.Millisecond, Pilot: 2_000, Repeats: 1,
		Paced: 500 * time.Millisecond, Timeout: time.Minute}
}

// Full is the default configuration: about four minutes on two cores.
func Full() Config {
	return Config{Mode: "full", Messages: 5_000_000, Budget: 3 * time.Second, Pilot: 20_000, Repeats: 3,
		Paced: 2 * time.Second, Timeout: 2 * time.Minute}
}

// Result is the outcome of one system on one scenario.
type Result struct {
	scenario.Result
	// OutOfOrder counts the deliveries a subscriber received before an
	// earlier message of the same producer, over all repeats (-1: not
	// checked).
	OutOfOrder int64 `json:"out_of_order"`
	// Repeats is the number of measured runs; the result is the median
	// one (by msgs/s, or by p99 in the latency scenario), and Min and Max
	// are the lowest and highest msgs/s (p99 in ns for latency) of all.
	Repeats int     `json:"repeats"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
}

// Failed reports whether the run failed: an error, a lost or a duplicated
// message. A system that cannot run a scenario (n/a) has not failed.
func (r Result) Failed() bool { return r.NA == "" && r.Error != "" }

// count returns the number of messages of the measured run of s.
func (c Config) count(s scenario.Scenario, pilot scenario.Result) int64 {
	if s.PacedRate > 0 {
		return max(1, int64(c.Paced.Seconds()*float64(s.PacedRate)))
	}
	n := c.Messages
	if c.Budget <= 0 {
		return n
	}
	if pilot.MsgsPerSec > 0 && !math.IsInf(pilot.MsgsPerSec, 0) {
		n = min(n, int64(pilot.MsgsPerSec*c.Budget.Seconds()))
	}
	return max(n, min(c.Pilot, c.Messages))
}

// RunOne runs scenario s on sys: pilot runs (unless Budget is zero), then
// Repeats measured runs, of which it returns the median. A failed run,
// pilot or measured, is the result.
func (c Config) RunOne(sys scenario.System, s scenario.Scenario) Result {
	return c.runScenario([]scenario.System{sys}, s)[0]
}

// trial is one system's progress through a scenario (see runScenario).
type trial struct {
	checked    orderCheck
	ooo        *atomic.Int64
	n          int64
	runs       []scenario.Result
	outOfOrder int64
	end        *Result // set once the system is done: n/a, or failed
}

// runScenario runs scenario s on every system: each system's pilot runs,
// then the measured runs interleaved, one of each system in turn for
// Repeats rounds (A B C A B C ...), so that whatever else the machine does
// at a moment falls on every system alike (the VM's own speed changes while
// it runs: docs/benchmarks.md, "Two speeds with one producer"). It returns
// one Result per system, in order.
func (c Config) runScenario(systems []scenario.System, s scenario.Scenario) []Result {
	key := func(r scenario.Result) float64 { return r.MsgsPerSec }
	if s.PacedRate > 0 {
		key = func(r scenario.Result) float64 { return r.P99 }
	}
	trials := make([]trial, len(systems))
	for i, sys := range systems {
		trials[i] = c.pilot(sys, s)
	}
	for range max(1, c.Repeats) {
		for i := range trials {
			t := &trials[i]
			if t.end != nil {
				continue
			}
			r := scenario.Run(t.checked, s, t.n, c.Timeout)
			t.outOfOrder += t.ooo.Load()
			if r.Error != "" {
				t.end = &Result{Result: r, OutOfOrder: t.outOfOrder, Repeats: len(t.runs) + 1}
				continue
			}
			t.runs = append(t.runs, r)
		}
	}
	out := make([]Result, len(trials))
	for i, t := range trials {
		if t.end != nil {
			out[i] = *t.end
			continue
		}
		runs := t.runs
		slices.SortFunc(runs, func(a, b scenario.Result) int { return cmp.Compare(key(a), key(b)) })
		out[i] = Result{Result: runs[len(runs)/2], OutOfOrder: t.outOfOrder, Repeats: len(runs),
			Min: key(runs[0]), Max: key(runs[len(runs)-1])}
	}
	return out
}

// pilot makes sys's pilot runs of s and sizes its measured runs.
func (c Config) pilot(sys scenario.System, s scenario.Scenario) trial {
	ooo := new(atomic.Int64)
	t := trial{checked: orderCheck{System: sys, outOfOrder: ooo}, ooo: ooo}
	// The pilot grows fourfold until it takes an eighth of the budget, so
	// that it outgrows every queue (a run that fits in a system's buffer
	// says nothing about its steady rate) without taking long itself.
	pilotN := min(c.Pilot, c.Messages)
	if s.PacedRate > 0 {
		pilotN = min(pilotN, max(1, int64(s.PacedRate)/100)) // 10 ms of paced publishing
	}
	var pilot scenario.Result
	for c.Budget > 0 {
		pilot = scenario.Run(t.checked, s, pilotN, c.Timeout)
		if pilot.NA != "" || pilot.Error != "" {
			if pilot.Error != "" {
				pilot.Error = "pilot run: " + pilot.Error
			}
			t.end = &Result{Result: pilot, OutOfOrder: ooo.Load()}
			return t
		}
		if s.PacedRate > 0 || pilot.Seconds >= c.Budget.Seconds()/8 || pilotN*4 > c.Messages {
			break
		}
		pilotN *= 4
	}
	if c.Budget <= 0 {
		// No pilot: a system that cannot run s says so at its first run.
		if ok, why := sys.Supports(s); !ok {
			t.end = &Result{Result: scenario.Result{System: sys.Name(), Scenario: s.Name, NA: why}}
			return t
		}
	}
	t.n = c.count(s, pilot)
	return t
}

// Run runs every scenario on every system, the systems' measured runs of a
// scenario interleaved (see runScenario), and writes one progress line per
// scenario and system to progress (scenario, system, time since the start,
// outcome) once the scenario is done.
func (c Config) Run(progress io.Writer) []Result {
	systems, scenarios := c.Systems, c.Scenarios
	if systems == nil {
		systems = Systems()
	}
	if scenarios == nil {
		scenarios = scenario.Standard()
	}
	start := time.Now()
	var results []Result
	for _, s := range scenarios {
		for _, r := range c.runScenario(systems, s) {
			fmt.Fprintf(progress, "[%6.1fs] %-29s %-34s ", time.Since(start).Seconds(), s.Name, r.System)
			switch {
			case r.NA != "":
				fmt.Fprintf(progress, "n/a: %s\n", r.NA)
			case r.Failed():
				fmt.Fprintf(progress, "FAILED: %s\n", r.Error)
			case r.P50 > 0:
				fmt.Fprintf(progress, "p50 %s  p99 %s  p99.9 %s  (%d msgs%s)\n",
					micros(r.P50), micros(r.P99), micros(r.P999), r.Messages, spread(r, micros))
			default:
				fmt.Fprintf(progress, "%9s msgs/s  (%d msgs%s)\n", human(r.MsgsPerSec), r.Messages, spread(r, human))
			}
			results = append(results, r)
		}
	}
	fmt.Fprintf(progress, "[%6.1fs] done\n", time.Since(start).Seconds())
	return results
}

// spread describes the repeats of r ("" for a single run).
func spread(r Result, format func(float64) string) string {
	if r.Repeats < 2 {
		return ""
	}
	return fmt.Sprintf(" × %d, %s–%s", r.Repeats, format(r.Min), format(r.Max))
}

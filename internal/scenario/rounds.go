package scenario

import (
	"slices"
	"time"
)

// Spread is the median of a set of figures with their range.
type Spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	// N is the number of figures; 0 means there were none (the other
	// fields are then 0).
	N int `json:"n"`
}

// SpreadOf returns the median, the minimum and the maximum of xs. The median
// of an even number of figures is the mean of the two middle ones. xs is not
// modified.
func SpreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Spread{Median: med, Min: s[0], Max: s[n-1], N: n}
}

// Interleave runs scenario s with n messages on every system in turn, for
// the given number of rounds: A B A B ..., so that whatever else the machine
// does at a moment falls on every system alike, and a ratio of two systems
// in the same round compares runs made side by side. It returns
// results[round][system]. A system that fails (or cannot run s) is not run
// again in later rounds: its later results are copies of the failure, so
// that every round has one result per system. done, if not nil, is called
// after every run made, with the round (0-based) and the result.
func Interleave(systems []System, s Scenario, n int64, rounds int, timeout time.Duration, done func(round int, r Result)) [][]Result {
	results := make([][]Result, rounds)
	for round := range rounds {
		results[round] = make([]Result, len(systems))
		for i, sys := range systems {
			if round > 0 && (results[round-1][i].NA != "" || results[round-1][i].Error != "") {
				results[round][i] = results[round-1][i]
				continue
			}
			r := Run(sys, s, n, timeout)
			results[round][i] = r
			if done != nil {
				done(round, r)
			}
		}
	}
	return results
}

// Summary is one system's figures on one scenario over interleaved rounds:
// the median of the rounds and their range.
type Summary struct {
	System   string `json:"system"`
	Scenario string `json:"scenario"`
	// NA says why the system cannot run the scenario; Error is the
	// system's first failure (then the figures cover the rounds before it).
	NA    string `json:"na,omitempty"`
	Error string `json:"error,omitempty"`
	// Rounds is the number of rounds the figures cover.
	Rounds       int    `json:"rounds"`
	MsgsPerSec   Spread `json:"msgs_per_sec"`
	AllocsPerMsg Spread `json:"allocs_per_msg"`
	// P50, P99 and P999 are the latency percentiles in nanoseconds, of a
	// scenario that measures latency (nil otherwise).
	P50  *Spread `json:"p50_ns,omitempty"`
	P99  *Spread `json:"p99_ns,omitempty"`
	P999 *Spread `json:"p999_ns,omitempty"`
	// VsBaseline is the ratio of this system's figure to the baseline's
	// in the same round, one ratio per round in which both ran: msgs/s
	// (higher is better) in a throughput scenario, p99 (lower is better)
	// in a latency one. Nil for the baseline itself and when no round has
	// both.
	VsBaseline *Spread `json:"vs_baseline,omitempty"`
	// LineRoundTrip is the spread of the rounds' Result.LineRoundTrip.
	LineRoundTrip Spread `json:"line_round_trip_ns"`
}

// Latency reports whether the scenario measures latency (then the ratio to
// the baseline is of p99, not of msgs/s).
func (s Scenario) Latency() bool { return s.PacedRate > 0 }

// Summarize summarizes the results of Interleave for s, one Summary per
// system, in the order of the systems; baseline is the index of the system
// the ratios are computed against (-1 for none).
func Summarize(s Scenario, results [][]Result, baseline int) []Summary {
	if len(results) == 0 {
		return nil
	}
	ok := func(r Result) bool { return r.NA == "" && r.Error == "" }
	key := func(r Result) float64 { return r.MsgsPerSec }
	if s.Latency() {
		key = func(r Result) float64 { return r.P99 }
	}
	out := make([]Summary, len(results[0]))
	for i := range out {
		var rate, allocs, p50, p99, p999, ratio, trip []float64
		sum := Summary{System: results[0][i].System, Scenario: s.Name}
		for _, round := range results {
			r := round[i]
			switch {
			case r.NA != "":
				sum.NA = r.NA
				continue
			case r.Error != "":
				if sum.Error == "" {
					sum.Error = r.Error
				}
				continue
			}
			rate = append(rate, r.MsgsPerSec)
			if r.LineRoundTrip > 0 {
				trip = append(trip, r.LineRoundTrip)
			}
			allocs = append(allocs, r.AllocsPerOp)
			p50, p99, p999 = append(p50, r.P50), append(p99, r.P99), append(p999, r.P999)
			if baseline >= 0 && baseline != i && ok(round[baseline]) && key(round[baseline]) > 0 {
				ratio = append(ratio, key(r)/key(round[baseline]))
			}
		}
		sum.Rounds = len(rate)
		sum.MsgsPerSec, sum.AllocsPerMsg, sum.LineRoundTrip = SpreadOf(rate), SpreadOf(allocs), SpreadOf(trip)
		if s.Latency() && len(rate) > 0 {
			a, b, c := SpreadOf(p50), SpreadOf(p99), SpreadOf(p999)
			sum.P50, sum.P99, sum.P999 = &a, &b, &c
		}
		if len(ratio) > 0 {
			v := SpreadOf(ratio)
			sum.VsBaseline = &v
		}
		out[i] = sum
	}
	return out
}

package scenario

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSpreadOf(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want Spread
	}{
		{nil, Spread{}},
		{[]float64{}, Spread{}},
		{[]float64{7}, Spread{Median: 7, Min: 7, Max: 7, N: 1}},
		{[]float64{3, 1}, Spread{Median: 2, Min: 1, Max: 3, N: 2}},
		{[]float64{5, 1, 3}, Spread{Median: 3, Min: 1, Max: 5, N: 3}},
		{[]float64{4, 1, 3, 2}, Spread{Median: 2.5, Min: 1, Max: 4, N: 4}},
		{[]float64{9, 1, 1, 1, 100}, Spread{Median: 1, Min: 1, Max: 100, N: 5}},   // the median ignores an outlier
		{[]float64{2, 2, 2, 2, 2, 2}, Spread{Median: 2, Min: 2, Max: 2, N: 6}},    // all equal
		{[]float64{-1, 0.5, 0, 10}, Spread{Median: 0.25, Min: -1, Max: 10, N: 4}}, // even: mean of the middle two
		{[]float64{1e9, 3e9, 2e9, 5e9, 4e9}, Spread{Median: 3e9, Min: 1e9, Max: 5e9, N: 5}},
	} {
		in := slices.Clone(c.in)
		if got := SpreadOf(c.in); got != c.want {
			t.Errorf("SpreadOf(%v) = %+v, want %+v", c.in, got, c.want)
		}
		if !slices.Equal(in, c.in) {
			t.Errorf("SpreadOf reordered its input: %v, was %v", c.in, in)
		}
	}
}

// TestSummarize checks the medians, ranges and paired ratios of three
// rounds of made-up results: a baseline, a system twice as fast in one
// round only (the ratio is per round, not a ratio of medians), a system
// that fails in round 2 and one that cannot run the scenario.
func TestSummarize(t *testing.T) {
	res := func(sys string, rate float64) Result { return Result{System: sys, MsgsPerSec: rate, AllocsPerOp: 0.5} }
	rounds := [][]Result{
		{res("base", 100), res("fast", 200), res("fails", 50), {System: "na", NA: "no topics"}},
		{res("base", 50), res("fast", 50), {System: "fails", Error: "lost"}, {System: "na", NA: "no topics"}},
		{res("base", 10), res("fast", 10), {System: "fails", Error: "lost"}, {System: "na", NA: "no topics"}},
	}
	s := Scenario{Name: "thr"}
	got := Summarize(s, rounds, 0)
	if len(got) != 4 {
		t.Fatalf("%d summaries", len(got))
	}
	base, fast, fails, na := got[0], got[1], got[2], got[3]
	if base.System != "base" || base.Scenario != "thr" || base.Rounds != 3 || base.VsBaseline != nil ||
		base.MsgsPerSec != (Spread{Median: 50, Min: 10, Max: 100, N: 3}) || base.P99 != nil {
		t.Errorf("baseline: %+v", base)
	}
	// Ratios per round: 2, 1, 1; the ratio of the medians would be 1 too,
	// but its range would say nothing.
	if fast.VsBaseline == nil || *fast.VsBaseline != (Spread{Median: 1, Min: 1, Max: 2, N: 3}) {
		t.Errorf("fast: ratio %+v", fast.VsBaseline)
	}
	if fails.Error != "lost" || fails.Rounds != 1 || fails.MsgsPerSec.Median != 50 || fails.VsBaseline.Median != 0.5 {
		t.Errorf("fails: %+v", fails)
	}
	if na.NA != "no topics" || na.Rounds != 0 || na.VsBaseline != nil {
		t.Errorf("n/a: %+v", na)
	}
	if got[1].AllocsPerMsg != (Spread{Median: 0.5, Min: 0.5, Max: 0.5, N: 3}) {
		t.Errorf("allocs %+v", got[1].AllocsPerMsg)
	}

	// Latency: the ratio is of p99 (lower is better), and the
	// percentiles are summarized.
	lat := func(sys string, p99 float64) Result {
		return Result{System: sys, MsgsPerSec: 1e5, P50: p99 / 10, P99: p99, P999: p99 * 2}
	}
	got = Summarize(Scenario{Name: "lat", PacedRate: 1000}, [][]Result{
		{lat("base", 1000), lat("eng", 250)},
		{lat("base", 4000), lat("eng", 500)},
	}, 0)
	if e := got[1]; e.P99 == nil || *e.P99 != (Spread{Median: 375, Min: 250, Max: 500, N: 2}) ||
		e.P50.Median != 37.5 || e.P999.Max != 1000 || *e.VsBaseline != (Spread{Median: 0.1875, Min: 0.125, Max: 0.25, N: 2}) {
		t.Errorf("latency: %+v", e)
	}
	// A failed baseline round gives no ratio for that round.
	got = Summarize(s, [][]Result{
		{{System: "base", Error: "x"}, res("a", 10)},
		{res("base", 10), res("a", 30)},
	}, 0)
	if r := got[1].VsBaseline; r == nil || *r != (Spread{Median: 3, Min: 3, Max: 3, N: 1}) {
		t.Errorf("ratio with a failed baseline round: %+v", r)
	}
	if got := Summarize(s, nil, 0); got != nil {
		t.Errorf("no rounds: %+v", got)
	}
	if got := Summarize(s, rounds, -1); got[1].VsBaseline != nil {
		t.Errorf("no baseline: %+v", got[1])
	}
}

// named is a channel under another name, recording the order of its runs.
type named struct {
	Channel
	name  string
	order *[]string
}

func (n named) Name() string { return n.name }
func (n named) Open(s Scenario, deliver Deliver) (Pipe, error) {
	*n.order = append(*n.order, n.name)
	return n.Channel.Open(s, deliver)
}

// broken is a system that cannot open its pipeline.
type broken struct{ Channel }

func (broken) Name() string { return "broken" }
func (broken) Open(Scenario, Deliver) (Pipe, error) {
	return nil, errors.New("cannot open")
}

func TestInterleave(t *testing.T) {
	var order []string
	systems := []System{named{name: "A", order: &order}, broken{}, named{name: "B", order: &order}}
	var done []string
	results := Interleave(systems, Standard()[0], 100, 3, time.Minute, func(round int, r Result) {
		done = append(done, string(rune('1'+round))+r.System)
	})
	if got := strings.Join(order, " "); got != "A B A B A B" {
		t.Errorf("runs in the order %s, want A B A B A B", got)
	}
	// broken fails in round 1 and is not run again (a system that lost a
	// message would wait for the timeout in every round).
	if got := strings.Join(done, " "); got != "1A 1broken 1B 2A 2B 3A 3B" {
		t.Errorf("done called for %s", got)
	}
	if len(results) != 3 {
		t.Fatalf("%d rounds", len(results))
	}
	for i, round := range results {
		if len(round) != 3 || round[0].System != "A" || round[0].Error != "" || round[0].Delivered != 100 ||
			round[1].Error != "cannot open" || round[2].System != "B" {
			t.Errorf("round %d: %+v", i, round)
		}
	}
	if sum := Summarize(Standard()[0], results, 0); sum[1].Error == "" || sum[1].Rounds != 0 || sum[2].Rounds != 3 {
		t.Errorf("summaries: %+v", sum)
	}
}

func TestMarkdown(t *testing.T) {
	one := Spread{Median: 2e6, Min: 2e6, Max: 2e6, N: 1}
	var b strings.Builder
	Markdown(&b, []Summary{
		{System: "base", Scenario: "thr", Rounds: 3, MsgsPerSec: Spread{Median: 1e6, Min: 5e5, Max: 2e6, N: 3}},
		{System: "eng", Scenario: "thr", Rounds: 3, MsgsPerSec: one, VsBaseline: &Spread{Median: 2, Min: 1.5, Max: 4, N: 3},
			AllocsPerMsg: Spread{Median: 0.01, Min: 0, Max: 0.02, N: 3}},
		{System: "base", Scenario: "wild", NA: "no topics"},
		{System: "bad", Scenario: "thr", Error: "lost | one"},
		{System: "late", Scenario: "thr", Rounds: 2, MsgsPerSec: one, Error: "lost"},
		{System: "eng", Scenario: "lat", Rounds: 1, MsgsPerSec: one, P50: &Spread{Median: 900, Min: 800, Max: 1e3, N: 3},
			P99: &Spread{Median: 2e4, Min: 2e4, Max: 2e4, N: 3}, P999: &Spread{Median: 2e6, Min: 1e6, Max: 3e6, N: 3},
			VsBaseline: &Spread{Median: 0.1, Min: 0.05, Max: 0.2, N: 3}},
	})
	for _, want := range []string{
		"| thr | base | 1.00 M (500.0 k–2.00 M) |  |  |  |  | 0.00 |\n",
		"| thr | eng | 2.00 M | 2.00× (1.50×–4.00×) |  |  |  | 0.01 (0.00–0.02) |\n",
		"| wild | base | n/a (no topics) |",
		"| thr | bad | FAILED: lost / one |",
		"| thr | late | FAILED after 2 rounds: lost |",
		"| lat | eng | 2.00 M | p99 0.10× (0.05×–0.20×) | 0.9 µs (0.8 µs–1.0 µs) | 20 µs | 2.00 ms (1.00 ms–3.00 ms) | 0.00 |\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, b.String())
		}
	}
}

package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchRounds runs the whole benchmark with few messages and 2 rounds,
// and checks the structure of both outputs: every round of every scenario
// and system in the JSON, medians within their range, the paired ratio to
// the channel, latency percentiles only where measured.
func TestBenchRounds(t *testing.T) {
	code, out, errOut := runCmd(t, "", "bench", "--messages", "2000", "--rounds", "2", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	type spread struct {
		Median, Min, Max float64
		N                int
	}
	var v struct {
		Messages      int64
		PacedMessages int64 `json:"paced_messages"`
		Rounds        int
		Baseline      string
		Failed        bool
		Summaries     []struct {
			System, Scenario, NA, Error string
			Rounds                      int
			MsgsPerSec                  spread  `json:"msgs_per_sec"`
			P99                         *spread `json:"p99_ns"`
			VsBaseline                  *spread `json:"vs_baseline"`
		}
		Runs []struct {
			Round                       int
			System, Scenario, NA, Error string
			Delivered, Messages         int64
			MsgsPerSec                  float64 `json:"msgs_per_sec"`
		}
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if v.Messages != 2000 || v.PacedMessages != 2000 || v.Rounds != 2 || v.Failed || v.Baseline != "Go channel (baseline)" {
		t.Errorf("messages %d, rounds %d, failed %v, baseline %q", v.Messages, v.Rounds, v.Failed, v.Baseline)
	}
	if len(v.Runs) != 5*2*2 {
		t.Fatalf("%d runs, want 5 scenarios × 2 systems × 2 rounds", len(v.Runs))
	}
	for i, r := range v.Runs {
		// Interleaved: channel, engine, channel, engine within a scenario.
		if wantRound, wantSys := i%4/2+1, []string{"Go channel (baseline)", "eventengine"}[i%2]; r.Round != wantRound || r.System != wantSys {
			t.Errorf("run %d: round %d of %s, want round %d of %s", i, r.Round, r.System, wantRound, wantSys)
		}
		if r.Error != "" || r.NA == "" && (r.Delivered < r.Messages || r.MsgsPerSec <= 0) {
			t.Errorf("run %d: %+v", i, r)
		}
	}
	if len(v.Summaries) != 10 {
		t.Fatalf("%d summaries, want 5 scenarios × 2 systems", len(v.Summaries))
	}
	for _, s := range v.Summaries {
		latency := strings.HasPrefix(s.Scenario, "latency")
		switch {
		case s.NA != "":
			if s.System != "Go channel (baseline)" || !strings.HasPrefix(s.Scenario, "wildcard") {
				t.Errorf("%s / %s: n/a %s", s.System, s.Scenario, s.NA)
			}
			continue
		case s.Error != "" || s.Rounds != 2 || s.MsgsPerSec.N != 2:
			t.Errorf("%s / %s: %+v", s.System, s.Scenario, s)
		case !(s.MsgsPerSec.Min <= s.MsgsPerSec.Median && s.MsgsPerSec.Median <= s.MsgsPerSec.Max && s.MsgsPerSec.Min > 0):
			t.Errorf("%s / %s: msgs/s %+v", s.System, s.Scenario, s.MsgsPerSec)
		case latency != (s.P99 != nil):
			t.Errorf("%s / %s: p99 %+v", s.System, s.Scenario, s.P99)
		}
		wantRatio := s.System == "eventengine" && !strings.HasPrefix(s.Scenario, "wildcard")
		if wantRatio != (s.VsBaseline != nil) || wantRatio && (s.VsBaseline.N != 2 || s.VsBaseline.Min > s.VsBaseline.Median) {
			t.Errorf("%s / %s: ratio %+v", s.System, s.Scenario, s.VsBaseline)
		}
	}
	if !strings.Contains(errOut, "round 2/2") || !strings.Contains(errOut, "msgs/s") {
		t.Errorf("no progress on stderr: %q", errOut)
	}

	code, out, errOut = runCmd(t, "", "bench", "--messages", "1000", "--rounds", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(out, "\n")
	for _, want := range []string{
		"1 round; 1,000 messages per scenario and round (latency: 1,000 messages at the paced rate)",
		"| scenario | system | msgs/s | vs baseline | p50 | p99 | p99.9 | allocs/msg |",
		"| wildcard, 1,000 non-matching | Go channel (baseline) | n/a (no topics) |",
		"| latency at 100k msgs/s | eventengine |",
		"p99 ",
		"Each figure is the median of the rounds (min–max)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if rows := strings.Count(out, "\n| "); rows != 1+10 {
		t.Errorf("%d table rows, want a header and 10:\n%s", rows, out)
	}
	if len(lines) < 14 {
		t.Errorf("%d lines:\n%s", len(lines), out)
	}
}

func TestBenchFlags(t *testing.T) {
	const help = "Run 'eventengine bench --help' for usage.\n"
	for _, c := range []struct {
		args []string
		err  string
	}{
		// Regression: --messages 0 ran the default 2,000,000 messages.
		{[]string{"--messages", "0"}, `invalid value "0" for flag -messages: must be at least 1`},
		{[]string{"--messages", "-1"}, `invalid value "-1" for flag -messages: must be at least 1`},
		{[]string{"--messages", "-99999999999999999999"}, `invalid value "-99999999999999999999" for flag -messages: must be at least 1`},
		{[]string{"--messages", "100000001"}, `invalid value "100000001" for flag -messages: must be at most 100,000,000`},
		{[]string{"--messages", "99999999999999999999"}, `invalid value "99999999999999999999" for flag -messages: must be at most 100,000,000`},
		{[]string{"--messages", "lots"}, `invalid value "lots" for flag -messages: not a whole number`},
		{[]string{"--messages", "1e6"}, `invalid value "1e6" for flag -messages: not a whole number`},
		{[]string{"--messages", ""}, `invalid value "" for flag -messages: not a whole number`},
		{[]string{"--messages"}, `flag needs an argument: -messages`},
		{[]string{"--rounds", "0"}, `invalid value "0" for flag -rounds: must be at least 1`},
		{[]string{"--rounds", "-5"}, `invalid value "-5" for flag -rounds: must be at least 1`},
		{[]string{"--rounds", "1001"}, `invalid value "1001" for flag -rounds: must be at most 1,000`},
		{[]string{"--rounds", "2.5"}, `invalid value "2.5" for flag -rounds: not a whole number`},
		{[]string{"--quick=maybe"}, `invalid boolean value "maybe" for -quick: parse error`},
		{[]string{"--nope"}, `flag provided but not defined: -nope`},
	} {
		code, out, errOut := runCmd(t, "", append([]string{"bench"}, c.args...)...)
		if code != 2 || out != "" || errOut != "eventengine bench: "+c.err+"\n"+help {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, errOut, c.err)
		}
	}
	if code, out, errOut := runCmd(t, "", "bench", "extra"); code != 2 || out != "" ||
		errOut != "eventengine bench: unexpected argument \"extra\"\n"+help {
		t.Errorf("extra argument: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ := runCmd(t, "", "bench", "--help")
	if code != 0 || !strings.Contains(out, "Usage: eventengine bench") || !strings.Contains(out, "about 25 s") ||
		!strings.Contains(out, "-rounds number") || !strings.Contains(out, "(default 5)") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
}

func TestCountFlag(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{{"1", 1}, {"2_000_000", 2_000_000}, {"1,000", 1000}, {"+7", 7}, {"100", 100}} {
		f := countFlag{lo: 1, hi: 100}
		if c.want > f.hi {
			f.hi = c.want
		}
		if err := f.Set(c.in); err != nil || f.v != c.want || !f.set {
			t.Errorf("Set(%q) = %v, value %d, set %v; want %d", c.in, err, f.v, f.set, c.want)
		}
	}
	f := countFlag{v: 5, lo: 1, hi: 10}
	if err := f.Set("11"); err == nil || f.v != 5 || f.set {
		t.Errorf("a refused value changed the flag: %v, %d, %v", err, f.v, f.set)
	}
}

package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDemoPlainAndSummary(t *testing.T) {
	code, out, errOut := runCmd(t, "", "demo", "--duration", "300ms", "--rate", "20000", "--symbols", "10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"msgs/s=", "queue=", "latency p50=", "summary:", " 0 lost",
		"Market.Data.{symbol}", "wildcard", "Market.(Equity|Futures).Trade", "range", `Market.Data./^[A-Z]{4}$/`, "pattern",
		"Market.Data.AAPL", "exact", "EventEngine.Internal.Timer.Second", "timer"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("ANSI escapes in output that is not a terminal")
	}
}

func TestDemoJSONNothingLost(t *testing.T) {
	code, out, errOut := runCmd(t, "", "demo", "--duration", "300ms", "--rate", "50000", "--symbols", "8", "--capacity", "64", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s demoSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, out)
	}
	if s.Published == 0 || s.Lost != 0 || s.Delivered != s.Accepted || s.Delivered != s.Published+uint64(s.TimerTicks) {
		t.Fatalf("summary %+v", s)
	}
	if len(s.Hooks) != 5 {
		t.Fatalf("%d hooks in the summary", len(s.Hooks))
	}
	var calls uint64
	for _, h := range s.Hooks {
		if h.Topic == "Market.Data.{symbol}" {
			calls = h.Calls
		}
	}
	if trades := s.Trades["Equity"] + s.Trades["Futures"]; calls+uint64(trades) != s.Published {
		t.Fatalf("ticks %d + trades %d != published %d", calls, trades, s.Published)
	}
}

func TestDemoFlags(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--rate", "0"}, {"demo", "--duration", "-1s"}, {"demo", "--symbols", "1"},
		{"demo", "--nope"}, {"demo", "extra"}, {"demo", "--capacity", "0"}, {"demo", "--rate", "x"},
	} {
		code, _, errOut := runCmd(t, "", args...)
		if code != 2 || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
	if code, out, _ := runCmd(t, "", "demo", "--help"); code != 0 || !strings.Contains(out, "Usage: eventengine demo") {
		t.Fatalf("--help: %d %q", code, out)
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	c, n := h.snapshot()
	p := percentiles(c, n, 0.5, 0.99)
	if n != 1000 || p[0] < 480*time.Microsecond || p[0] > 540*time.Microsecond || p[1] < 980*time.Microsecond || p[1] > 1060*time.Microsecond {
		t.Fatalf("n %d p50 %v p99 %v", n, p[0], p[1])
	}
	if bucketOf(5) != 5 || bucketValue(bucketOf(1<<40)) < 1<<40 {
		t.Fatal("bucket bounds")
	}
}

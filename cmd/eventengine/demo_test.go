package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDemoPlainAndSummary(t *testing.T) {
	code, out, errOut := runCmd(t, "", "demo", "--duration", "300ms", "--rate", "20000", "--symbols", "10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"summary:", " 0 lost", "latency:  publish → handler p50 ", "queue:    peak ", "VWAP:     AAPL ",
		"Market.Data.{symbol}", "wildcard", "Market.(Equity|Futures).Trade", "range", `Market.Data./^[A-Z]{4}$/`, "pattern",
		"Market.Data.AAPL", "exact", "EventEngine.Internal.Timer.Second", "timer"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("ANSI escapes in output that is not a terminal")
	}
	// The summary fits 80 columns (the per-second log lines before it need
	// not: they are for logs).
	fits80(t, out[strings.Index(out, "\nsummary:"):])
}

func TestDemoJSONNothingLost(t *testing.T) {
	// A small queue, so that the feed often finds it full and waits.
	code, out, errOut := runCmd(t, "", "demo", "--duration", "300ms", "--rate", "50000", "--symbols", "8", "--capacity", "64", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s demoSummary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, out)
	}
	if s.Published == 0 || s.Lost != 0 || s.Received != s.Published || s.Delivered != s.Accepted ||
		s.Delivered != s.Published+uint64(s.TimerTicks) {
		t.Fatalf("summary %+v", s)
	}
	if s.Symbols != 8 || s.TargetRate != 50000 || s.Capacity != 64 || s.QueuePeak > 64 {
		t.Errorf("configuration in the summary: %+v", s)
	}
	if s.LatencyP50 <= 0 || s.LatencyP99 < s.LatencyP50 || s.LatencyP999 < s.LatencyP99 {
		t.Errorf("latency p50 %d p99 %d p99.9 %d ns", s.LatencyP50, s.LatencyP99, s.LatencyP999)
	}
	if len(s.Hooks) != 5 {
		t.Fatalf("%d hooks in the summary", len(s.Hooks))
	}
	calls := map[string]uint64{}
	for _, h := range s.Hooks {
		calls[h.Form] = h.Calls
		if h.Form == "" || h.Panics != 0 {
			t.Errorf("hook %+v", h)
		}
	}
	// The engine's own per-hook counters agree with what the subscribers saw.
	if trades := uint64(s.Trades["Equity"] + s.Trades["Futures"]); calls["wildcard"]+trades != s.Published || calls["range"] != trades {
		t.Fatalf("ticks %d + trades %d != published %d", calls["wildcard"], trades, s.Published)
	}
	if calls["pattern"] != uint64(s.FourLetter) || calls["timer"] != uint64(s.TimerTicks) || calls["exact"] > calls["wildcard"] {
		t.Errorf("hook calls %v, four-letter ticks %d, timer ticks %d", calls, s.FourLetter, s.TimerTicks)
	}
	if strings.Contains(errOut, "\x1b[") {
		t.Error("ANSI escapes on a standard error that is not a terminal")
	}
}

// TestDemoTerminalView draws the view as on a terminal: in place, with the
// cursor hidden during the run and shown again at the end.
func TestDemoTerminalView(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var b bytes.Buffer
	cfg := demoConfig{duration: time.Second, rate: 10000, symbols: 4, capacity: 128, seed: 1}
	s, err := demo(ctx, cfg, &b, true)
	if err != nil {
		t.Fatal(err)
	}
	if s.Lost != 0 || s.Received != s.Published {
		t.Fatalf("summary %+v", s)
	}
	out := b.String()
	if !strings.HasPrefix(out, "\x1b[?25l") || !strings.HasSuffix(out, "\x1b[?25h") {
		t.Errorf("cursor not hidden and restored: %q", out)
	}
	// At least two frames (the first and the one after the shutdown); every
	// frame after the first moves back to the top of the previous one.
	frames := strings.Count(out, "eventengine demo: 4 symbols")
	if ups := regexp.MustCompile(`\x1b\[[0-9]+A`).FindAllString(out, -1); frames < 2 || len(ups) != frames-1 {
		t.Errorf("%d frames:\n%q", frames, out)
	}
	for _, want := range []string{"rate      target 10,000/s   achieved ", "queue     peak", "hook topic", "Market.Data.{symbol}", "VWAP      AAPL",
		"messages  published ", "latency   p50 "} {
		if !strings.Contains(out, want) {
			t.Errorf("view lacks %q", want)
		}
	}
	fits80(t, out)
	// The last frame (after the shutdown) adds up: published + timer
	// ticks = delivered, nothing queued; and it agrees with the summary.
	last := out[strings.LastIndex(out, "eventengine demo: 4 symbols"):]
	if n := strings.Count(last, "\n"); n != viewHeight(cfg) {
		t.Errorf("the last frame has %d lines, viewHeight says %d", n, viewHeight(cfg))
	}
	want := fmt.Sprintf("messages  published %s + timer ticks %d; delivered %s, queued 0", group(s.Published), s.TimerTicks, group(s.Delivered))
	if !strings.Contains(last, want) || s.Delivered != s.Published+uint64(s.TimerTicks) {
		t.Errorf("last frame lacks %q:\n%s", want, last)
	}
	for _, sym := range wellKnown[:4] { // --symbols 4: the same symbols in the view and the summary
		if _, ok := s.VWAP[sym]; !ok || !strings.Contains(last, sym+" ") {
			t.Errorf("VWAP of %s: summary %v, view:\n%s", sym, s.VWAP, last)
		}
	}
}

func TestDemoFlags(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--rate", "0"}, {"demo", "--duration", "-1s"}, {"demo", "--symbols", "1"},
		{"demo", "--nope"}, {"demo", "extra"}, {"demo", "--capacity", "0"}, {"demo", "--rate", "x"},
	} {
		code, out, errOut := runCmd(t, "", args...)
		if code != 2 || errOut == "" || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and a message on stderr", args, code, out, errOut)
		}
	}
	code, _, errOut := runCmd(t, "", "demo", "--rate", "0")
	if code != 2 || !strings.Contains(errOut, "--rate") || !strings.Contains(errOut, "got 0") {
		t.Errorf("--rate 0: %q", errOut)
	}
	if _, _, errOut := runCmd(t, "", "demo", "--nope"); errOut != "eventengine demo: flag provided but not defined: -nope\n"+
		"Run 'eventengine demo --help' for usage.\n" {
		t.Errorf("--nope: %q", errOut)
	}
	for _, cmd := range []string{"demo", "bench", "topic parse", "topic match", "topic format"} {
		code, out, errOut := runCmd(t, "", append(strings.Fields(cmd), "--help")...)
		if code != 0 || strings.Count(out, "Usage: eventengine "+cmd) != 1 || !strings.Contains(out, "-json") || errOut != "" {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", cmd, code, out, errOut)
		}
	}
	if code, out, errOut := runCmd(t, "", "topic", "--help"); code != 0 || strings.Count(out, "Usage:") != 1 || errOut != "" {
		t.Errorf("topic --help: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "", "topic", "parse", "--nope", "A"); code != 2 || errOut != "eventengine topic parse: flag provided but not defined: -nope\n"+
		"Run 'eventengine topic parse --help' for usage.\n" {
		t.Errorf("topic parse --nope: exit %d, stderr %q", code, errOut)
	}
}

// fits80 checks that every line of out fits an 80-column terminal (wider
// lines wrap and break the redraw), counting characters, not bytes, and
// without the escapes.
func fits80(t *testing.T, out string) {
	t.Helper()
	esc := regexp.MustCompile(`\x1b\[[0-9?;]*[A-Za-z]`)
	for l := range strings.Lines(esc.ReplaceAllString(out, "")) {
		if n := utf8.RuneCountInString(strings.TrimRight(l, "\r\n")); n > 80 {
			t.Errorf("%d columns: %q", n, l)
		}
	}
}

func TestFormatting(t *testing.T) {
	for d, want := range map[time.Duration]string{850: "850 ns", 86016: "86.0 µs", 3932160: "3.93 ms", 212992: "213 µs",
		1500 * time.Millisecond: "1.50 s"} {
		if got := dur(d); got != want {
			t.Errorf("dur(%d) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[uint64]string{0: "0", 999: "999", 1000: "1,000", 1999202: "1,999,202"} {
		if got := group(n); got != want {
			t.Errorf("group(%d) = %q, want %q", n, got, want)
		}
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

// TestDemoTargetNotReached: a rate no machine reaches (one feed goroutine
// at 50 M msgs/s) is reported as not reached, in the summary and the JSON.
func TestDemoTargetNotReached(t *testing.T) {
	code, out, errOut := runCmd(t, "", "demo", "--duration", "300ms", "--rate", "50000000", "--symbols", "4")
	if code != 0 || !strings.Contains(out, "rate:     target 50,000,000 msgs/s, achieved ") || !strings.Contains(out, ": target not reached") {
		t.Errorf("exit %d, stderr %q:\n%s", code, errOut, out)
	}
	code, out, _ = runCmd(t, "", "demo", "--duration", "300ms", "--rate", "50000000", "--symbols", "4", "--json")
	var s demoSummary
	if err := json.Unmarshal([]byte(out), &s); code != 0 || err != nil || s.TargetReached || s.MsgsPerSec <= 0 || s.MsgsPerSec >= 50e6 {
		t.Errorf("exit %d, %v: %+v", code, err, s)
	}
	if !targetReached(95, 100) || targetReached(94, 100) {
		t.Error("targetReached: the bound is 95% of the target")
	}
}

// TestDemoSVG writes the charts and checks they are an SVG with both.
func TestDemoSVG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.svg")
	code, _, errOut := runCmd(t, "", "demo", "--duration", "300ms", "--rate", "20000", "--symbols", "4", "--svg", path)
	b, err := os.ReadFile(path)
	if code != 0 || err != nil || !strings.Contains(errOut, "wrote "+path) {
		t.Fatalf("exit %d, %v, stderr %q", code, err, errOut)
	}
	svg := string(b)
	if !strings.HasPrefix(svg, "<svg ") || !strings.HasSuffix(svg, "</svg>\n") || !strings.Contains(svg, "achieved rate per second") ||
		!strings.Contains(svg, "publish → handler latency") || strings.Count(svg, `fill="#2a9d8f"`) < 2 {
		t.Errorf("svg:\n%s", svg)
	}
	if code, _, errOut := runCmd(t, "", "demo", "--duration", "100ms", "--svg", filepath.Join(path, "x.svg")); code != 2 || !strings.Contains(errOut, "--svg "+filepath.Join(path, "x.svg")+": the directory "+path+" does not exist") {
		t.Errorf("unwritable --svg: exit %d, %q", code, errOut)
	}
}

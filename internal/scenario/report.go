package scenario

import (
	"fmt"
	"io"
	"strings"
)

// Markdown writes summaries as a Markdown table: one row per scenario and
// system, each figure the median of the rounds with their range in
// parentheses, and the ratio to the baseline system of the same round
// (msgs/s, or p99 in a latency scenario).
func Markdown(w io.Writer, summaries []Summary) {
	fmt.Fprintln(w, "| scenario | system | msgs/s | vs baseline | p50 | p99 | p99.9 | allocs/msg |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	for _, s := range summaries {
		switch {
		case s.NA != "":
			fmt.Fprintf(w, "| %s | %s | n/a (%s) | | | | | |\n", s.Scenario, s.System, s.NA)
			continue
		case s.Rounds == 0:
			fmt.Fprintf(w, "| %s | %s | FAILED: %s | | | | | |\n", s.Scenario, s.System, cellText(s.Error))
			continue
		}
		ratio := ""
		if s.VsBaseline != nil {
			ratio = spreadText(*s.VsBaseline, func(v float64) string { return fmt.Sprintf("%.2f×", v) })
			if s.P99 != nil {
				ratio = "p99 " + ratio
			}
		}
		lat := func(p *Spread) string {
			if p == nil {
				return ""
			}
			return spreadText(*p, Micros)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", s.Scenario, s.System,
			spreadText(s.MsgsPerSec, Human), ratio, lat(s.P50), lat(s.P99), lat(s.P999),
			spreadText(s.AllocsPerMsg, func(v float64) string { return fmt.Sprintf("%.2f", v) }))
		if s.Error != "" {
			fmt.Fprintf(w, "| %s | %s | FAILED after %d rounds: %s | | | | | |\n", s.Scenario, s.System, s.Rounds, cellText(s.Error))
		}
	}
}

// cellText makes s fit in a Markdown table cell.
func cellText(s string) string { return strings.ReplaceAll(s, "|", "/") }

// spreadText writes a spread as "median (min–max)", or the median alone when
// the figures are all the same (one round, or allocations that never vary).
func spreadText(s Spread, format func(float64) string) string {
	med, lo, hi := format(s.Median), format(s.Min), format(s.Max)
	if lo == hi {
		return med
	}
	return fmt.Sprintf("%s (%s–%s)", med, lo, hi)
}

// Human writes a rate with a k or M suffix.
func Human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// Micros writes a duration in nanoseconds in µs or ms, with two or three
// significant digits ("" for 0 or less: not measured).
func Micros(ns float64) string {
	switch {
	case ns <= 0:
		return ""
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e4:
		return fmt.Sprintf("%.0f µs", ns/1e3)
	}
	return fmt.Sprintf("%.1f µs", ns/1e3)
}

package scenario

import (
	"fmt"
	"io"
	"strings"
)

// Markdown writes results as a Markdown table: one row per scenario and
// system, with throughput, its ratio to the baseline system of the same
// scenario, allocations and latency.
func Markdown(w io.Writer, results []Result, baseline string) {
	base := map[string]float64{}
	for _, r := range results {
		if r.System == baseline && r.NA == "" && r.Error == "" {
			base[r.Scenario] = r.MsgsPerSec
		}
	}
	fmt.Fprintln(w, "| scenario | system | msgs/s | vs channel | allocs/msg | p50 | p99 | p99.9 |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		switch {
		case r.NA != "":
			fmt.Fprintf(w, "| %s | %s | n/a (%s) | | | | | |\n", r.Scenario, r.System, r.NA)
		case r.Error != "":
			fmt.Fprintf(w, "| %s | %s | FAILED: %s | | | | | |\n", r.Scenario, r.System, strings.ReplaceAll(r.Error, "|", "/"))
		default:
			ratio := ""
			if b := base[r.Scenario]; b > 0 {
				ratio = fmt.Sprintf("%.2f×", r.MsgsPerSec/b)
			}
			lat := func(ns float64) string {
				if ns == 0 {
					return ""
				}
				return fmt.Sprintf("%.1f µs", ns/1000)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %.2f | %s | %s | %s |\n", r.Scenario, r.System, Human(r.MsgsPerSec), ratio,
				r.AllocsPerOp, lat(r.P50), lat(r.P99), lat(r.P999))
		}
	}
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

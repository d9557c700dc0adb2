package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/eventengine/eventengine/internal/scenario"
)

// Meta describes the machine and the run.
type Meta struct {
	Date       string  `json:"date"`
	Go         string  `json:"go"`
	OS         string  `json:"os"`
	CPU        string  `json:"cpu"`
	NumCPU     int     `json:"num_cpu"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	Commit     string  `json:"commit"`
	Mode       string  `json:"mode"`
	Messages   int64   `json:"max_messages_per_run"`
	Budget     string  `json:"budget_per_run"`
	Paced      string  `json:"paced_duration"`
	Repeats    int     `json:"repeats"`
	Seconds    float64 `json:"seconds"`
	// LoadStart and LoadEnd are /proc/loadavg's 1-minute load before and
	// after the run: other work on the machine skews the numbers.
	LoadStart string `json:"loadavg_start"`
	LoadEnd   string `json:"loadavg_end,omitempty"`
}

// LoadAvg returns the 1-minute load average ("" where unknown).
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return ""
}

// Report is what the peer benchmark writes to results.json.
type Report struct {
	Meta    Meta     `json:"meta"`
	Results []Result `json:"results"`
}

// ReadMeta describes this machine and the configuration c. The git commit
// is best effort (empty outside a work tree).
func ReadMeta(c Config) Meta {
	m := Meta{
		Date: time.Now().UTC().Format(time.RFC3339), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), CPU: cpuModel(),
		Mode: c.Mode, Messages: c.Messages, Budget: c.Budget.String(), Paced: c.Paced.String(), Repeats: max(1, c.Repeats), LoadStart: LoadAvg(),
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		// Uncommitted changes to tracked files make the commit only
		// an approximation of what was measured.
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			m.Commit += "+dirty"
		}
	}
	return m
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// Failures returns the runs that failed.
func (r Report) Failures() []Result {
	var f []Result
	for _, res := range r.Results {
		if res.Failed() {
			f = append(f, res)
		}
	}
	return f
}

func (r Report) systems() []string {
	var names []string
	seen := map[string]bool{}
	for _, res := range r.Results {
		if !seen[res.System] {
			seen[res.System] = true
			names = append(names, res.System)
		}
	}
	return names
}

func (r Report) scenarios() []string {
	var names []string
	seen := map[string]bool{}
	for _, res := range r.Results {
		if !seen[res.Scenario] {
			seen[res.Scenario] = true
			names = append(names, res.Scenario)
		}
	}
	return names
}

func (r Report) find(sys, scen string) (Result, bool) {
	for _, res := range r.Results {
		if res.System == sys && res.Scenario == scen {
			return res, true
		}
	}
	return Result{}, false
}

// isLatency reports whether scenario s measured latency.
func (r Report) isLatency(s string) bool {
	for _, res := range r.Results {
		if res.Scenario == s && res.P50 > 0 {
			return true
		}
	}
	return false
}

// baseline is the system every ratio is computed against.
var baseline = scenario.Channel{}.Name()

// WriteMarkdown writes the run's description, a summary table (one row per
// system), the full results (one row per run) and the reasons for n/a.
func WriteMarkdown(w io.Writer, r Report) {
	m := r.Meta
	fmt.Fprintf(w, "# Peer benchmark results\n\n")
	fmt.Fprintf(w, "%s, %s mode, %.0f s; %s %s, %s (%d CPUs, GOMAXPROCS=%d); commit %s; load average %s before, %s after.\n",
		m.Date, m.Mode, m.Seconds, m.Go, m.OS, m.CPU, m.NumCPU, m.GOMAXPROCS, orDash(m.Commit), orDash(m.LoadStart), orDash(m.LoadEnd))
	fmt.Fprintf(w, "Each result is the median of %d runs (by msgs/s; by p99 for latency), after a pilot run; the runs of a scenario are interleaved across the systems (A B C ... A B C ...). ", m.Repeats)
	fmt.Fprintf(w, "Throughput runs: up to %d messages, fewer for a slow system (about %s per run); "+
		"latency: %s at the paced rate, publish → handler. Messages/s counts published messages, each delivered to every subscriber "+
		"(10 deliveries per message in the fan-out). Every delivery is counted.\n\n", m.Messages, m.Budget, m.Paced)

	scens := r.scenarios()
	var thr []string
	lat := ""
	for _, s := range scens {
		if r.isLatency(s) {
			lat = s
		} else {
			thr = append(thr, s)
		}
	}
	fmt.Fprintf(w, "## Summary\n\nMessages per second (higher is better)")
	if lat != "" {
		fmt.Fprintf(w, "; latency at %s (lower is better)", strings.TrimPrefix(lat, "latency at "))
	}
	fmt.Fprintf(w, "; allocations per message in the first scenario.\n\n| system |")
	for _, s := range thr {
		fmt.Fprintf(w, " %s |", s)
	}
	if lat != "" {
		fmt.Fprintf(w, " p50 | p99 | p99.9 |")
	}
	fmt.Fprintf(w, " allocs/msg | order |\n|---|")
	for range thr {
		fmt.Fprintf(w, "---:|")
	}
	if lat != "" {
		fmt.Fprintf(w, "---:|---:|---:|")
	}
	fmt.Fprintf(w, "---:|---|\n")
	for _, sys := range r.systems() {
		fmt.Fprintf(w, "| %s |", sys)
		for _, s := range thr {
			res, _ := r.find(sys, s)
			fmt.Fprintf(w, " %s |", cell(res, human(res.MsgsPerSec)))
		}
		if lat != "" {
			res, _ := r.find(sys, lat)
			fmt.Fprintf(w, " %s | %s | %s |", cell(res, micros(res.P50)), cell(res, micros(res.P99)), cell(res, micros(res.P999)))
		}
		allocs := ""
		if len(thr) > 0 {
			res, _ := r.find(sys, thr[0])
			allocs = cell(res, fmt.Sprintf("%.2f", res.AllocsPerOp))
		}
		fmt.Fprintf(w, " %s | %s |\n", allocs, r.orderSummary(sys))
	}

	fmt.Fprintf(w, "\n## All runs\n\n")
	fmt.Fprintln(w, "| scenario | system | messages | msgs/s | vs channel | allocs/msg | p50 | p99 | p99.9 | range of runs | line round trip | order |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, res := range r.Results {
		switch {
		case res.NA != "":
			fmt.Fprintf(w, "| %s | %s | | n/a | | | | | | | | |\n", res.Scenario, res.System)
		case res.Failed():
			fmt.Fprintf(w, "| %s | %s | %d | **FAILED**: %s | | | | | | | | |\n", res.Scenario, res.System, res.Messages,
				strings.ReplaceAll(res.Error, "|", "/"))
		default:
			ratio := "" // none for the paced scenario, whose rate is set
			if b, ok := r.find(baseline, res.Scenario); ok && b.MsgsPerSec > 0 && !b.Failed() && b.NA == "" && res.P50 == 0 {
				ratio = fmt.Sprintf("%.2f×", res.MsgsPerSec/b.MsgsPerSec)
			}
			rng := ""
			if res.Repeats > 1 && res.P50 > 0 {
				rng = fmt.Sprintf("p99 %s – %s", micros(res.Min), micros(res.Max))
			} else if res.Repeats > 1 {
				rng = fmt.Sprintf("%s – %s", human(res.Min), human(res.Max))
			}
			trip := "" // before the median run: where the host had put the two threads (scenario.LineRoundTrip)
			if res.LineRoundTrip > 0 {
				trip = fmt.Sprintf("%.0f ns", res.LineRoundTrip)
			}
			fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %.2f | %s | %s | %s | %s | %s | %s |\n", res.Scenario, res.System, res.Messages,
				human(res.MsgsPerSec), ratio, res.AllocsPerOp, micros(res.P50), micros(res.P99), micros(res.P999), rng, trip, order(res))
		}
	}

	fmt.Fprintf(w, "\n## Not applicable\n\n")
	for _, res := range r.Results {
		if res.NA != "" {
			fmt.Fprintf(w, "- %s, %s: %s.\n", res.System, res.Scenario, res.NA)
		}
	}
	if f := r.Failures(); len(f) > 0 {
		fmt.Fprintf(w, "\n## Failures\n\n")
		for _, res := range f {
			fmt.Fprintf(w, "- %s, %s: %s.\n", res.System, res.Scenario, res.Error)
		}
	}
}

func cell(r Result, v string) string {
	switch {
	case r.System == "":
		return ""
	case r.NA != "":
		return "n/a"
	case r.Failed():
		return "FAILED"
	}
	return v
}

func order(r Result) string {
	switch {
	case r.OutOfOrder < 0:
		return ""
	case r.OutOfOrder == 0:
		return "kept"
	}
	return fmt.Sprintf("%d out of order", r.OutOfOrder)
}

// orderSummary says whether sys kept every producer's order in every run.
func (r Report) orderSummary(sys string) string {
	runs, bad, ooo := 0, 0, int64(0)
	for _, res := range r.Results {
		if res.System != sys || res.NA != "" || res.Failed() || res.OutOfOrder < 0 {
			continue
		}
		runs++
		if res.OutOfOrder > 0 {
			bad++
			ooo += res.OutOfOrder
		}
	}
	switch {
	case runs == 0:
		return ""
	case bad == 0:
		return "kept"
	}
	return fmt.Sprintf("not kept (%d deliveries in %d of %d scenarios)", ooo, bad, runs)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// human writes a rate with a k or M suffix (the harness's formatter).
func human(v float64) string { return scenario.Human(v) }

// micros writes nanoseconds as microseconds; 0 is empty.
func micros(ns float64) string { return scenario.Micros(ns) }

// bar is one bar of a chart: a value, or a note in its place.
type bar struct {
	label   string
	v       float64
	note    string
	color   string
	opacity float64
}

// WriteSVG draws one horizontal bar chart per scenario on a logarithmic
// axis: messages per second for the throughput scenarios, p50, p99 and
// p99.9 latency for the latency scenario. The engine's bars are orange,
// the channel baseline's dark grey.
func WriteSVG(w io.Writer, r Report) {
	const width, left, right, barH, gap = 980, 250, 170, 14, 3
	type chart struct {
		title          string
		bars           []bar
		minExp, maxExp float64
		tick           func(e float64) string
		format         func(v float64) string
		groupOf        int // bars per system
	}
	var charts []chart
	for _, s := range r.scenarios() {
		isLat := r.isLatency(s)
		c := chart{title: s + " — messages/s (log scale, higher is better)", minExp: 3, maxExp: 8, groupOf: 1,
			tick:   func(e float64) string { return []string{"1k", "10k", "100k", "1M", "10M", "100M"}[int(e)-3] },
			format: func(v float64) string { return human(v) + " msgs/s" }}
		if isLat {
			c = chart{title: s + " — publish → handler latency p50 / p99 / p99.9 (log scale, lower is better)", minExp: -1, maxExp: 5, groupOf: 3,
				tick: func(e float64) string {
					return []string{"0.1 µs", "1 µs", "10 µs", "100 µs", "1 ms", "10 ms", "100 ms"}[int(e)+1]
				},
				format: func(v float64) string { return micros(v * 1e3) }}
		}
		for _, sys := range r.systems() {
			res, _ := r.find(sys, s)
			color := "#7a9eb5"
			switch sys {
			case "eventengine":
				color = "#e0662b"
			case baseline:
				color = "#555"
			}
			note := ""
			switch {
			case res.NA != "":
				note = "n/a: " + res.NA
			case res.Failed():
				note = "FAILED"
			}
			if !isLat {
				c.bars = append(c.bars, bar{label: sys, v: res.MsgsPerSec, note: note, color: color, opacity: 1})
				continue
			}
			for i, q := range []struct {
				name    string
				v       float64
				opacity float64
			}{{"p50", res.P50, 1}, {"p99", res.P99, 0.7}, {"p99.9", res.P999, 0.45}} {
				label := q.name
				if i == 0 {
					label = sys + "  " + q.name
				}
				c.bars = append(c.bars, bar{label: label, v: q.v / 1e3, note: note, color: color, opacity: q.opacity})
			}
		}
		charts = append(charts, c)
	}
	height := 50
	for _, c := range charts {
		height += 50 + len(c.bars)*(barH+gap) + len(c.bars)/c.groupOf*4
	}
	m := r.Meta
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(w, `<text x="10" y="22" font-size="15" font-weight="bold">eventengine and peers</text>`+"\n")
	fmt.Fprintf(w, `<text x="10" y="40" fill="#555">%s</text>`+"\n",
		esc(fmt.Sprintf("%s, %s mode, %s, %s, GOMAXPROCS=%d, commit %s", m.Date, m.Mode, m.Go, m.CPU, m.GOMAXPROCS, orDash(m.Commit))))
	y := 50
	for _, c := range charts {
		x := func(v float64) float64 {
			if v <= 0 {
				return left
			}
			e := math.Min(math.Max(math.Log10(v), c.minExp), c.maxExp)
			return left + (e-c.minExp)/(c.maxExp-c.minExp)*(width-left-right)
		}
		plotH := len(c.bars)*(barH+gap) + len(c.bars)/c.groupOf*4
		fmt.Fprintf(w, `<text x="10" y="%d" font-size="13" font-weight="bold">%s</text>`+"\n", y+22, esc(c.title))
		top := y + 40
		for e := c.minExp; e <= c.maxExp; e++ {
			xe := x(math.Pow(10, e))
			fmt.Fprintf(w, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`, xe, top-4, xe, top+plotH)
			fmt.Fprintf(w, `<text x="%.1f" y="%d" fill="#888" font-size="10" text-anchor="middle">%s</text>`+"\n", xe, top-6, esc(c.tick(e)))
		}
		by := top
		for i, b := range c.bars {
			if i > 0 && i%c.groupOf == 0 {
				by += 4
			}
			fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-6, by+barH-3, esc(b.label))
			label := b.note
			if b.note == "" && b.v > 0 {
				fmt.Fprintf(w, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s" fill-opacity="%.2f"><title>%s</title></rect>`,
					left, by, math.Max(x(b.v)-left, 1), barH, b.color, b.opacity, esc(b.label+": "+c.format(b.v)))
				label = c.format(b.v)
			}
			fill := "#222"
			if b.note != "" {
				fill = "#999"
			}
			fmt.Fprintf(w, `<text x="%.1f" y="%d" fill="%s">%s</text>`+"\n", x(b.v)+4, by+barH-3, fill, esc(label))
			by += barH + gap
		}
		y = top + plotH + 10
	}
	fmt.Fprintln(w, "</svg>")
}

func esc(s string) string { return html.EscapeString(s) }

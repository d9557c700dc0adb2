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
	Date       string `json:"date"`
	Go         string `json:"go"`
	CPU        string `json:"cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Commit     string `json:"commit"`
	Mode       string `json:"mode"`
	Messages   int64  `json:"messages_per_scenario"`
}

// Report is what the peer benchmark writes to results.json.
type Report struct {
	Meta    Meta              `json:"meta"`
	Results []scenario.Result `json:"results"`
}

// ReadMeta fills Meta from the machine.
func ReadMeta(mode string, n int64) Meta {
	m := Meta{Date: time.Now().UTC().Format(time.RFC3339), Go: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0), Mode: mode, Messages: n}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	return m
}

// WriteMarkdown writes the results table with the run's description.
func WriteMarkdown(w io.Writer, r Report) {
	fmt.Fprintf(w, "Run %s (%s mode, %d messages per scenario), %s, %s, GOMAXPROCS=%d, commit %s.\n\n",
		r.Meta.Date, r.Meta.Mode, r.Meta.Messages, r.Meta.Go, r.Meta.CPU, r.Meta.GOMAXPROCS, r.Meta.Commit)
	scenario.Markdown(w, r.Results, scenario.Channel{}.Name())
}

// WriteSVG draws one horizontal bar chart per throughput scenario,
// messages per second on a logarithmic axis.
func WriteSVG(w io.Writer, r Report) {
	type bar struct {
		label string
		v     float64
		note  string
	}
	var groups []string
	bars := map[string][]bar{}
	for _, res := range r.Results {
		if _, ok := bars[res.Scenario]; !ok {
			groups = append(groups, res.Scenario)
		}
		b := bar{label: res.System, v: res.MsgsPerSec}
		switch {
		case res.NA != "":
			b.v, b.note = 0, "n/a"
		case res.Error != "":
			b.v, b.note = 0, "failed"
		case res.P50 > 0:
			b.note = fmt.Sprintf("p50 %.1f µs, p99 %.1f µs", res.P50/1000, res.P99/1000)
		}
		bars[res.Scenario] = append(bars[res.Scenario], b)
	}
	const (
		width, left, right, barH, gap = 960, 270, 150, 16, 4
		minExp, maxExp                = 3.0, 8.0 // 1k .. 100M msgs/s
	)
	height := 40
	for _, g := range groups {
		height += 30 + len(bars[g])*(barH+gap) + 10
	}
	x := func(v float64) float64 {
		if v <= 0 {
			return left
		}
		e := math.Min(math.Max(math.Log10(v), minExp), maxExp)
		return left + (e-minExp)/(maxExp-minExp)*(width-left-right)
	}
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(w, `<text x="10" y="20" font-size="14" font-weight="bold">Messages per second (log scale), %s, %s</text>`+"\n", html.EscapeString(r.Meta.Go), html.EscapeString(r.Meta.Date))
	y := 40
	for _, g := range groups {
		fmt.Fprintf(w, `<text x="10" y="%d" font-weight="bold">%s</text>`+"\n", y+16, html.EscapeString(g))
		for e := minExp; e <= maxExp; e++ {
			fmt.Fprintf(w, `<line x1="%.0f" y1="%d" x2="%.0f" y2="%d" stroke="#ddd"/><text x="%.0f" y="%d" fill="#888" font-size="10">%s</text>`+"\n",
				x(math.Pow(10, e)), y+20, x(math.Pow(10, e)), y+20+len(bars[g])*(barH+gap), x(math.Pow(10, e))-8, y+20, []string{"1k", "10k", "100k", "1M", "10M", "100M"}[int(e-minExp)])
		}
		y += 24
		for _, b := range bars[g] {
			color := "#8aa"
			if b.label == "eventengine" {
				color = "#d62"
			}
			fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-6, y+12, html.EscapeString(b.label))
			label := b.note
			if b.v > 0 {
				fmt.Fprintf(w, `<rect x="%d" y="%d" width="%.0f" height="%d" fill="%s"/>`+"\n", left, y, x(b.v)-left, barH, color)
				label = strings.TrimSpace(fmt.Sprintf("%s %s", human(b.v), b.note))
			}
			fmt.Fprintf(w, `<text x="%.0f" y="%d">%s</text>`+"\n", x(b.v)+4, y+12, html.EscapeString(label))
			y += barH + gap
		}
		y += 16
	}
	fmt.Fprintln(w, "</svg>")
}

func human(v float64) string { return scenario.Human(v) }

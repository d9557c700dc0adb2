package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// bars are the eight heights of a terminal bar chart.
var bars = []rune("▁▂▃▄▅▆▇█")

// sparkline draws values as one bar each, scaled from 0 to their maximum.
func sparkline(values []float64) string {
	if len(values) == 0 {
		return ""
	}
	top := slices.Max(values)
	var b strings.Builder
	for _, v := range values {
		i := 0
		if top > 0 {
			i = min(int(v/top*float64(len(bars)-1)+0.5), len(bars)-1)
		}
		b.WriteRune(bars[max(i, 0)])
	}
	return b.String()
}

// doublings folds the latency histogram's buckets (16 per power of two,
// see histogram) into one count per doubling of the latency: group g holds
// [2^(g+3), 2^(g+4)) ns, group 0 everything below 16 ns.
func doublings(counts []uint64) []uint64 {
	out := make([]uint64, (len(counts)+15)/16)
	for b, c := range counts {
		out[b/16] += c
	}
	return out
}

func groupBounds(g int) (lo, hi time.Duration) {
	if g == 0 {
		return 0, 16
	}
	return time.Duration(1) << (g + 3), time.Duration(1) << (g + 4)
}

// latencyBars draws the latency distribution, one bar per doubling from
// the lowest to the highest non-empty one, and returns their bounds. A
// non-empty doubling gets at least the lowest bar, an empty one a space.
func latencyBars(counts []uint64) (lo, hi time.Duration, chart string) {
	g := doublings(counts)
	first := slices.IndexFunc(g, func(c uint64) bool { return c > 0 })
	if first < 0 {
		return 0, 0, ""
	}
	last := len(g) - 1
	for g[last] == 0 {
		last--
	}
	top := slices.Max(g)
	var b strings.Builder
	for _, c := range g[first : last+1] {
		if c == 0 {
			b.WriteRune(' ')
			continue
		}
		b.WriteRune(bars[min(int(float64(c)/float64(top)*float64(len(bars)-1)+0.5), len(bars)-1)])
	}
	lo, _ = groupBounds(first)
	_, hi = groupBounds(last)
	return lo, hi, b.String()
}

// writeSVG writes two charts of the run to path: the achieved rate in
// each second against the target, and the latency distribution.
func writeSVG(path string, s demoSummary) error {
	const w, h, pad = 760, 260, 80
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, 2*h)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")

	// Rate per second, with the target as a dashed line.
	top := float64(s.TargetRate)
	if len(s.RatePerSecond) > 0 {
		top = max(top, slices.Max(s.RatePerSecond))
	}
	top *= 1.1
	fmt.Fprintf(&b, `<text x="%d" y="20" font-weight="bold">achieved rate per second (target %s msgs/s, dashed)</text>`+"\n", pad, group(uint64(s.TargetRate)))
	axes(&b, pad, 30, w-2*pad, h-70, fmt.Sprintf("%s/s", group(uint64(top))), "0")
	ty := 30 + float64(h-70)*(1-float64(s.TargetRate)/top)
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#c33" stroke-dasharray="6 4"/>`+"\n", pad, ty, w-pad, ty)
	if n := len(s.RatePerSecond); n > 0 {
		bw := float64(w-2*pad) / float64(n)
		for i, r := range s.RatePerSecond {
			bh := float64(h-70) * r / top
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#3a7bd5"><title>second %d: %s msgs/s</title></rect>`+"\n",
				float64(pad)+float64(i)*bw+1, 30+float64(h-70)-bh, max(bw-2, 1), bh, i+1, group(uint64(r)))
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">second of the run</text>`+"\n", w/2, h-16)

	// Latency distribution, one bar per doubling.
	g := doublings(s.latency)
	first := slices.IndexFunc(g, func(c uint64) bool { return c > 0 })
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">publish → handler latency (p50 %s, p99 %s, p99.9 %s)</text>`+"\n",
		pad, h+20, dur(time.Duration(s.LatencyP50)), dur(time.Duration(s.LatencyP99)), dur(time.Duration(s.LatencyP999)))
	if first >= 0 {
		last := len(g) - 1
		for g[last] == 0 {
			last--
		}
		var total uint64
		for _, c := range g {
			total += c
		}
		topShare := float64(slices.Max(g)) / float64(total)
		axes(&b, pad, h+30, w-2*pad, h-70, fmt.Sprintf("%.0f%%", topShare*100), "0")
		n := last - first + 1
		bw := float64(w-2*pad) / float64(n)
		for i, c := range g[first : last+1] {
			share := float64(c) / float64(total)
			bh := float64(h-70) * share / topShare
			lo, hi := groupBounds(first + i)
			x := float64(pad) + float64(i)*bw
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#2a9d8f"><title>%s to %s: %.2f%%</title></rect>`+"\n",
				x+1, float64(h+30)+float64(h-70)-bh, max(bw-2, 1), bh, dur(lo), dur(hi), share*100)
			if i%max(1, n/8) == 0 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="10">%s</text>`+"\n", x+bw/2, 2*h-26, dur(lo))
			}
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">latency (each bar a doubling; share of messages)</text>`+"\n", w/2, 2*h-8)
	}
	b.WriteString("</svg>\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// axes draws a chart's frame with its top and bottom labels.
func axes(b *strings.Builder, x, y, w, h int, topLabel, bottomLabel string) {
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", x, y, w, h)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" font-size="10">%s</text>`+"\n", x-4, y+10, topLabel)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" font-size="10">%s</text>`+"\n", x-4, y+h, bottomLabel)
}

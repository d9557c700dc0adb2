package bench

import (
	"testing"
	"time"

	"github.com/eventengine/eventengine/internal/scenario"
)

// TestEverySystemDeliversEverything runs the quick mode's correctness
// checks: every system, every scenario it supports, a small number of
// messages, every delivery counted. No timing is asserted.
func TestEverySystemDeliversEverything(t *testing.T) {
	n := int64(3000)
	if testing.Short() {
		n = 500
	}
	for _, sys := range Systems() {
		for _, s := range scenario.Standard() {
			if s.PacedRate > 0 {
				s.PacedRate = 200_000
			}
			r := scenario.Run(sys, s, n, time.Minute)
			switch {
			case r.NA != "":
				if !s.Wildcard {
					t.Errorf("%s cannot run %q: %s", sys.Name(), s.Name, r.NA)
				}
			case r.Error != "":
				t.Errorf("%s / %s: %s", sys.Name(), s.Name, r.Error)
			case r.Delivered != n*int64(s.Subscribers):
				t.Errorf("%s / %s: delivered %d of %d", sys.Name(), s.Name, r.Delivered, n*int64(s.Subscribers))
			}
		}
	}
}

func benchmark(b *testing.B, sys scenario.System, s scenario.Scenario) {
	if ok, why := sys.Supports(s); !ok {
		b.Skip(why)
	}
	b.ReportAllocs()
	r := scenario.Run(sys, s, int64(b.N), time.Minute)
	if r.Error != "" {
		b.Fatal(r.Error)
	}
	b.ReportMetric(r.MsgsPerSec, "msgs/s")
}

// BenchmarkPeers runs every system on every throughput scenario, for
// benchstat: go test -run '^$' -bench Peers -count 5 ./bench/
func BenchmarkPeers(b *testing.B) {
	for _, s := range scenario.Standard() {
		if s.PacedRate > 0 {
			continue
		}
		for _, sys := range Systems() {
			b.Run(s.Name+"/"+sys.Name(), func(b *testing.B) { benchmark(b, sys, s) })
		}
	}
}

package scenario

import (
	"testing"
	"time"
)

func benchSystem(b *testing.B, sys System, s Scenario) {
	b.ReportAllocs()
	r := Run(sys, s, int64(b.N), time.Minute)
	if r.Error != "" {
		b.Fatal(r.Error)
	}
	b.ReportMetric(r.MsgsPerSec, "msgs/s")
}

func BenchmarkChannel1P1S(b *testing.B) { benchSystem(b, Channel{}, Standard()[0]) }
func BenchmarkEngine1P1S(b *testing.B)  { benchSystem(b, Engine{}, Standard()[0]) }

func BenchmarkChannelFanout(b *testing.B) { benchSystem(b, Channel{}, Standard()[2]) }
func BenchmarkEngineFanout(b *testing.B)  { benchSystem(b, Engine{}, Standard()[2]) }

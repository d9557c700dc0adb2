package ticks

import (
	"testing"
	"time"
)

func TestNanotimeMonotonic(t *testing.T) {
	a := Nanotime()
	start := time.Now()
	for time.Since(start) < time.Millisecond {
	}
	b := Nanotime()
	if d := b - a; d < int64(time.Millisecond) {
		t.Fatalf("Nanotime advanced %d ns over a measured millisecond", d)
	}
}

func BenchmarkNanotime(b *testing.B) {
	for b.Loop() {
		Nanotime()
	}
}

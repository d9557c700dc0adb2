package ticks

import (
	"testing"
	"time"
)

// The ticks of an interval, converted, cover the Nanotime interval they
// enclose (the rate is measured to about 1e-4; 1e-3 is allowed).
func TestTicksCoverNanotime(t *testing.T) {
	Init()
	t.Logf("ticks are TSC: %v", TicksAreTSC())
	t0 := Ticks()
	n0 := Nanotime()
	spinUntil(n0 + int64(2*time.Millisecond))
	n1 := Nanotime()
	t1 := Ticks()
	got, want := TicksToNanos(t1-t0), n1-n0
	if float64(got) < float64(want)*(1-1e-3) {
		t.Fatalf("%d ticks converted to %d ns, but they enclose %d ns", t1-t0, got, want)
	}
	if TicksToNanos(0) != 0 {
		t.Fatal("TicksToNanos(0) != 0")
	}
}

func TestTicksMonotonic(t *testing.T) {
	Init()
	prev := Ticks()
	for range 10000 {
		now := Ticks()
		if now < prev {
			t.Fatalf("Ticks went back from %d to %d", prev, now)
		}
		prev = now
	}
}

func TestCheckTSC(t *testing.T) {
	if !checkTSC(func() int64 { return 3 * Nanotime() }) {
		t.Fatal("a steady counter was refused")
	}
	n := 0
	backwards := func() int64 { n++; return -int64(n) * 1000 }
	if checkTSC(backwards) {
		t.Fatal("a counter that goes back was accepted")
	}
	if checkTSC(func() int64 { return 42 }) {
		t.Fatal("a stopped counter was accepted")
	}
	// Twice as fast after the second reading (each pair makes 8 reads):
	// the two intervals disagree on every try.
	reads := 0
	var base int64
	speeding := func() int64 {
		k := reads % 24 // the k-th read of a try
		reads++
		now := Nanotime()
		switch {
		case k == 15: // the last read of the second pair
			base = now
		case k > 15:
			return 2*now - base
		}
		return now
	}
	if checkTSC(speeding) {
		t.Fatal("a counter whose rate doubles was accepted")
	}
}

func TestFaster(t *testing.T) {
	slow := func() int64 {
		spinUntil(Nanotime() + 1000)
		return 0
	}
	if faster(slow, Nanotime) || !faster(Nanotime, slow) {
		t.Fatal("a reader that takes a microsecond was found faster than Nanotime")
	}
}

func TestMeasureRate(t *testing.T) {
	read := func() int64 { return 4 * Nanotime() }
	from := pair(read)
	r := measureRate(read, from, time.Millisecond)
	if r < 0.25*(1-1e-3) || r > 0.25*(1+1e-3) {
		t.Fatalf("rate %v ns per tick, want 0.25", r)
	}
	if r := measureRate(func() int64 { return 7 }, reading{7, Nanotime()}, 0); r != 1 {
		t.Fatalf("rate of a stopped counter %v, want the fallback 1", r)
	}
}

func BenchmarkTicks(b *testing.B) {
	for b.Loop() {
		Ticks()
	}
}

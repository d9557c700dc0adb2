package ticks

import (
	"sync"
	"sync/atomic"
	"time"
)

// Why a second counter: on a virtual machine whose clock source is
// kvm-clock, Nanotime is a fenced RDTSC plus the pvclock arithmetic of the
// vDSO, so timing each handler call with it costs more than the call. An
// extended hook instead reads Ticks, which on amd64 is a bare RDTSC, less
// than half as dear there (BenchmarkNanotime, BenchmarkTicks; figures in
// docs/benchmarks.md), and converts the sums to nanoseconds only when the
// statistics are read. The runtime's cputicks works the same way. The
// RDTSC is not ordered: LFENCE;RDTSC cost nearly as much as Nanotime on the
// same machine (RDTSCP was not offered), and an unordered reading is off
// by at most the few dozen cycles the CPU may run it early, which a
// statistic of handler times can afford.
//
// The TSC is used only when the CPU reports it invariant (constant rate in
// every power state, as the kernel requires to trust it), a check sees it
// advance monotonically at a steady rate against Nanotime, and reading it
// is faster than Nanotime (a hypervisor may trap RDTSC); otherwise Ticks
// is Nanotime and TicksToNanos the identity. The check busy-waits about a
// tenth of a millisecond, so it runs at the first Init (the first extended
// hook, event.WithStats), not at package initialisation, which every
// program importing the library would pay for. The rate is measured
// against Nanotime from a reading taken by Init to one taken at the first
// conversion, at least calibrationSpan apart.

// calibrationSpan is the shortest span over which the tick rate is
// measured; with readings paired to within some tens of nanoseconds the
// rate is then good to about 1e-4, plenty for statistics of handler times,
// and the first conversion waits at most this long after start-up.
const calibrationSpan = time.Millisecond

// reading pairs a tick reading with the Nanotime taken in its middle.
type reading struct{ ticks, nanos int64 }

// anchor is the reading taken by Init; the rate is measured from it.
var anchor reading

var initOnce sync.Once

// Init decides, once, whether Ticks reads the CPU's time-stamp counter,
// busy-waiting about a tenth of a millisecond to check it. Until the first
// Init returns, Ticks is Nanotime; so every user of Ticks calls Init
// before its first reading (readings from before and after the first Init
// must not be subtracted).
func Init() {
	initOnce.Do(func() {
		initTSC()
		initialised.Store(true)
	})
}

// initialised is set once Init has run (for tests).
var initialised atomic.Bool

var rate struct {
	once         sync.Once
	nanosPerTick float64
}

// TicksAreTSC reports whether Ticks reads the CPU's time-stamp counter
// (else it is Nanotime); it is false until the first Init.
func TicksAreTSC() bool { return hasTSC }

// TicksToNanos converts a difference of Ticks readings to nanoseconds. The
// first conversion in a process measures the tick rate and may wait until
// calibrationSpan (1 ms) has passed since the first Init;
// the rate is then fixed, so the conversion is monotonic.
func TicksToNanos(d int64) int64 {
	if !hasTSC || d == 0 {
		return d
	}
	rate.once.Do(func() { rate.nanosPerTick = measureRate(Ticks, anchor, calibrationSpan) })
	return int64(float64(d) * rate.nanosPerTick)
}

// pair returns a reading of read with the Nanotime taken between two reads
// of it: the tightest of a few tries, so that a preemption between the
// reads does not skew it.
func pair(read func() int64) reading {
	best, width := reading{}, int64(-1)
	for range 4 {
		a := read()
		n := Nanotime()
		b := read()
		if w := b - a; w >= 0 && (width < 0 || w < width) {
			best, width = reading{a + w/2, n}, w
		}
	}
	return best
}

// checkTSC reports whether read advances monotonically and at a steady
// rate against Nanotime: it takes three readings about 50 µs apart and
// wants the ticks increasing and the rates of the two intervals within 2%
// of each other. A disturbed try (the goroutine descheduled) is retried;
// it takes about 100 µs.
func checkTSC(read func() int64) bool {
	const gap = 50 * int64(time.Microsecond)
	for range 3 {
		r0 := pair(read)
		spinUntil(r0.nanos + gap)
		r1 := pair(read)
		spinUntil(r1.nanos + gap)
		r2 := pair(read)
		if r0.ticks >= r1.ticks || r1.ticks >= r2.ticks {
			return false // not monotonic, or not running
		}
		a := float64(r1.ticks-r0.ticks) / float64(r1.nanos-r0.nanos)
		b := float64(r2.ticks-r1.ticks) / float64(r2.nanos-r1.nanos)
		if a > 0 && b > 0 && b/a > 0.98 && b/a < 1.02 {
			return true
		}
	}
	return false
}

// measureRate returns the nanoseconds per tick of read from the reading
// from to now, waiting until span has passed since from.
func measureRate(read func() int64, from reading, span time.Duration) float64 {
	if wait := from.nanos + int64(span) - Nanotime(); wait > 0 {
		time.Sleep(time.Duration(wait))
	}
	to := pair(read)
	for to.nanos-from.nanos < int64(span) { // a sleep may end early on some systems
		to = pair(read)
	}
	if to.ticks <= from.ticks {
		return 1 // cannot happen after checkTSC; do not divide by zero
	}
	return float64(to.nanos-from.nanos) / float64(to.ticks-from.ticks)
}

// faster reports whether a is quicker to call than b: the fastest of a few
// rounds of 64 calls each, so that a preemption does not decide it.
func faster(a, b func() int64) bool {
	cost := func(f func() int64) int64 {
		best := int64(1 << 62)
		for range 5 {
			t0 := Nanotime()
			for range 64 {
				f()
			}
			best = min(best, Nanotime()-t0)
		}
		return best
	}
	return cost(a) < cost(b)
}

// spinUntil busy-waits until Nanotime reaches t.
func spinUntil(t int64) {
	for Nanotime() < t {
	}
}

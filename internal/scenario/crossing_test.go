package scenario

import (
	"math"
	"runtime"
	"testing"
	"time"
)

func TestLineRoundTrip(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		if v := LineRoundTrip(); v != 0 {
			t.Fatalf("LineRoundTrip with GOMAXPROCS < 2 = %v, want 0", v)
		}
		return
	}
	// A busy machine may not run the two threads at once (then 0), or
	// make a round trip long; what must hold is that it ends, within its
	// bursts' limits, with a finite figure that is 0 or a plausible one.
	start := time.Now()
	v := LineRoundTrip()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("LineRoundTrip took %v, want at most its 5 bursts of 4 ms and their set-up", d)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > float64(4*time.Millisecond) {
		t.Fatalf("LineRoundTrip = %v, want 0 or a round trip of at most a burst's 4 ms", v)
	}
}

func TestLineRoundTripOneProcessor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if v := LineRoundTrip(); v != 0 {
		t.Fatalf("LineRoundTrip with GOMAXPROCS 1 = %v, want 0", v)
	}
}

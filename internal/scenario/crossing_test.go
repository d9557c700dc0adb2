package scenario

import (
	"runtime"
	"testing"
)

func TestLineRoundTrip(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		if v := LineRoundTrip(); v != 0 {
			t.Fatalf("LineRoundTrip with GOMAXPROCS < 2 = %v, want 0", v)
		}
		return
	}
	// Any figure above 0 is a measurement (a busy machine can make it
	// large); what must hold is that it ends and reports one.
	if v := LineRoundTrip(); v <= 0 {
		t.Fatalf("LineRoundTrip = %v, want > 0", v)
	}
}

func TestLineRoundTripOneProcessor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if v := LineRoundTrip(); v != 0 {
		t.Fatalf("LineRoundTrip with GOMAXPROCS 1 = %v, want 0", v)
	}
}

//go:build !amd64

package ticks

// hasTSC is false: other architectures count in Nanotime.
const hasTSC = false

// initTSC has nothing to decide on other architectures.
func initTSC() {}

// Ticks returns a reading of the cheapest monotonic counter: Nanotime on
// this architecture. Only differences between two readings are meaningful;
// TicksToNanos converts them.
func Ticks() int64 { return Nanotime() }

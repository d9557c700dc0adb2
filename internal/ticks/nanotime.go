// Package ticks holds the tick counters the library times things with:
// Nanotime, the runtime's monotonic clock read cheaply, and Ticks, the
// cheapest monotonic counter (the CPU's time-stamp counter where it is
// usable), whose differences TicksToNanos converts. It is not a clock: the
// injectable clock of timers is package clock.
package ticks

import _ "unsafe" // for go:linkname

// Nanotime returns the runtime's monotonic clock in nanoseconds. Only
// differences between two readings are meaningful.
//
//go:linkname Nanotime runtime.nanotime
func Nanotime() int64

// Package clock reads the runtime's monotonic clock cheaply, for timing
// handler calls and measuring latency.
package clock

import _ "unsafe" // for go:linkname

// Nanotime returns the runtime's monotonic clock in nanoseconds. Only
// differences between two readings are meaningful.
//
//go:linkname Nanotime runtime.nanotime
func Nanotime() int64

package engine

// self returns an identity of the calling goroutine that no other live
// goroutine has: on amd64 the address of its runtime descriptor (the g),
// read from thread-local storage in assembly, which costs about a
// nanosecond where goid.Get costs a microsecond. A descriptor is reused
// only after its goroutine has ended, and the loop clears its identity
// before its goroutine ends, so comparing with the loop's is exact. A
// handler's put on a full queue asks it every time (TestPipelineThroughShutdown
// spent 90 % of its time in goid.Get before).
func self() uintptr

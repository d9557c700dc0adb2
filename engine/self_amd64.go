package engine

// self returns an identity of the calling goroutine that no other live
// goroutine has: on amd64 the address of its runtime descriptor (the g),
// read from thread-local storage in assembly: a load, where goid.Get
// formats and parses a stack trace. A descriptor is reused only after its
// goroutine has ended, and the loop clears its identity before its
// goroutine ends, so comparing with the loop's is exact. A handler's put
// on a full queue asks it every time: with goid.Get a saturated pipeline
// (TestPipelineThroughShutdown) spent most of its time there.
func self() uintptr

package ticks

// rdtsc returns the CPU's time-stamp counter.
func rdtsc() int64

// cpuid executes the CPUID instruction.
func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

// hasTSC is set by Init when the CPU reports an invariant time-stamp
// counter, checkTSC finds it steady and reading it is faster than Nanotime;
// Ticks then reads it instead of Nanotime.
var hasTSC bool

// invariantTSC reports whether the CPU says its time-stamp counter runs at
// a constant rate in every power state (CPUID 8000_0007h, EDX bit 8), the
// condition under which the Linux kernel trusts it as a clock.
func invariantTSC() bool {
	maxExt, _, _, _ := cpuid(0x80000000, 0)
	if maxExt < 0x80000007 {
		return false
	}
	_, _, _, edx := cpuid(0x80000007, 0)
	return edx&(1<<8) != 0
}

// initTSC decides whether Ticks reads the time-stamp counter; Init calls
// it once.
func initTSC() {
	if !invariantTSC() || !checkTSC(rdtsc) || !faster(rdtsc, Nanotime) {
		return
	}
	anchor = pair(rdtsc)
	hasTSC = true
}

// Ticks returns a reading of the cheapest monotonic counter: on this
// architecture the CPU's time-stamp counter when it is usable (see
// TicksAreTSC), else Nanotime. Only differences between two readings are
// meaningful; TicksToNanos converts them. It is written in assembly.
func Ticks() int64

// nanotime is Ticks when the time-stamp counter is not used.
func nanotime() int64 { return Nanotime() }

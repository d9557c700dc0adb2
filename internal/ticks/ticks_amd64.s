#include "textflag.h"

// func Ticks() int64
//
// Ticks is written here rather than in Go so that it costs one call: a Go
// version that picks rdtsc or Nanotime is not inlined. It reads the
// time-stamp counter without a fence: RDTSC may then run a few dozen
// cycles before the instructions that precede it have finished, which a
// statistic of handler times can afford, while LFENCE would double its cost
// (see ticks.go).
TEXT ·Ticks(SB),NOSPLIT,$0-8
	CMPB	·hasTSC(SB), $0
	JEQ	fallback
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET
fallback:
	JMP	·nanotime(SB)

// func rdtsc() int64
//
// The time-stamp counter, unordered as in Ticks.
TEXT ·rdtsc(SB),NOSPLIT,$0-8
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB),NOSPLIT,$0-24
	MOVL	eaxArg+0(FP), AX
	MOVL	ecxArg+4(FP), CX
	CPUID
	MOVL	AX, eax+8(FP)
	MOVL	BX, ebx+12(FP)
	MOVL	CX, ecx+16(FP)
	MOVL	DX, edx+20(FP)
	RET

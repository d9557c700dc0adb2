//go:build !race

#include "textflag.h"

// func publish(stamp *atomic.Uint64, v uint64)
//
// A plain MOV: on amd64 every store is a release store (TSO keeps a core's
// stores in program order, and a core's loads in theirs), so a consumer that
// loads the stamp and then the slot sees the item written before this call.
// Being a call into assembly, it also keeps the compiler from moving the
// item's stores after it. sync/atomic's Store is an XCHG instead, a full
// fence that waits for every earlier store, cache misses included (see
// publish_amd64.go).
TEXT ·publish(SB),NOSPLIT,$0-16
	MOVQ	stamp+0(FP), AX
	MOVQ	v+8(FP), BX
	MOVQ	BX, (AX)
	RET

//go:build !race

#include "textflag.h"

// func publish(stamp *atomic.Uint64, v uint64)
//
// A plain MOV: on amd64 every store is a release store (TSO keeps stores in
// program order and no load moves above an older store to the same place),
// so the item written before this call is visible to a consumer that loads
// the stamp. sync/atomic's Store is an XCHG instead, a full fence that waits
// for every earlier store, cache misses included (see publish.go).
TEXT ·publish(SB),NOSPLIT,$0-16
	MOVQ	stamp+0(FP), AX
	MOVQ	v+8(FP), BX
	MOVQ	BX, (AX)
	RET

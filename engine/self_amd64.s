#include "textflag.h"
#include "go_tls.h"

// func self() uintptr
TEXT ·self(SB),NOSPLIT,$0-8
	get_tls(CX)
	MOVQ	g(CX), AX
	MOVQ	AX, ret+0(FP)
	RET

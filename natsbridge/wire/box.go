package wire

import (
	"time"
	"unsafe"
)

// Decoding puts every value into an interface. Go boxes a value that does
// not fit in a pointer by allocating a copy of it, one allocation per value
// (except for the single-byte values, which the runtime keeps in a static
// table). Decode instead stores values in small typed chunks and makes
// interfaces that point into them, so that several scalars, strings or
// times cost one allocation (BenchmarkDecode: 4 positional and 3 keyword
// arguments take 7 allocations instead of 11). This is what the runtime and
// reflect do themselves: the data word of an interface holding a
// non-pointer value points to the value, which is never modified
// afterwards. A slot of a chunk is never written again once a value is
// boxed from it, and a chunk stays alive while any of its values does
// (chunks start at 4 words, 4 strings or 2 times and double up to 64).

// eface is the layout of an empty interface (the runtime's eface): a type
// word and a data word.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// The layout checks: an any is exactly two words.
var (
	_ [unsafe.Sizeof(eface{}) - unsafe.Sizeof(any(nil))]struct{}
	_ [unsafe.Sizeof(any(nil)) - unsafe.Sizeof(eface{})]struct{}
)

// typeWord returns the type word of v.
func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	typInt      = typeWord(int(0))
	typInt16    = typeWord(int16(0))
	typInt32    = typeWord(int32(0))
	typInt64    = typeWord(int64(0))
	typUint     = typeWord(uint(0))
	typUint16   = typeWord(uint16(0))
	typUint32   = typeWord(uint32(0))
	typUint64   = typeWord(uint64(0))
	typUintptr  = typeWord(uintptr(0))
	typFloat32  = typeWord(float32(0))
	typFloat64  = typeWord(float64(0))
	typDuration = typeWord(time.Duration(0))
	typString   = typeWord("")
	typTime     = typeWord(time.Time{})
)

// makeAny returns the interface with the given type and data words.
func makeAny(typ, data unsafe.Pointer) (v any) {
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, data
	return v
}

// arena holds the chunks values are boxed from. The zero arena is ready.
type arena struct {
	words []uint64 // integers, floats and durations: no pointers, so the collector does not scan the chunk
	strs  []string
	times []time.Time
}

// chunkCap returns the capacity of the next chunk after one of capacity
// last: first, then doubling up to 64, so that a short message allocates
// little and a long one few chunks.
func chunkCap(last, first int) int {
	if last == 0 {
		return first
	}
	return min(2*last, 64)
}

// word returns a fresh 8-byte, 8-aligned slot.
func (a *arena) word() unsafe.Pointer {
	if len(a.words) == cap(a.words) {
		a.words = make([]uint64, 0, chunkCap(cap(a.words), 4))
	}
	a.words = a.words[:len(a.words)+1]
	return unsafe.Pointer(&a.words[len(a.words)-1])
}

// scalar is a type boxed from a word.
type scalar interface {
	int | int16 | int32 | int64 | uint | uint16 | uint32 | uint64 | uintptr | float32 | float64 | time.Duration
}

// boxWord returns v as an interface of type typ (the type word of T).
// Integers below 256 are boxed by Go itself, for free.
func boxWord[T scalar](a *arena, typ unsafe.Pointer, v T, small bool) any {
	if small {
		return v
	}
	p := a.word()
	*(*T)(p) = v
	return makeAny(typ, p)
}

func (a *arena) boxInt(v int64) any {
	return boxWord(a, typInt, int(v), uint64(v) < 256)
}

func (a *arena) boxFloat64(v float64) any { return boxWord(a, typFloat64, v, false) }

func (a *arena) boxString(s string) any {
	if s == "" {
		return s // free
	}
	if len(a.strs) == cap(a.strs) {
		a.strs = make([]string, 0, chunkCap(cap(a.strs), 4))
	}
	a.strs = append(a.strs, s)
	return makeAny(typString, unsafe.Pointer(&a.strs[len(a.strs)-1]))
}

func (a *arena) boxTime(t time.Time) any {
	if len(a.times) == cap(a.times) {
		a.times = make([]time.Time, 0, chunkCap(cap(a.times), 2))
	}
	a.times = append(a.times, t)
	return makeAny(typTime, unsafe.Pointer(&a.times[len(a.times)-1]))
}

// block is the first allocation of a short message's decoding: its
// positional arguments and the first chunks of its arena in one object, so
// that a message of up to 4 arguments with as many strings and scalars
// costs one allocation instead of one for the arguments and one per kind
// of value (BenchmarkDecode; the bridge's BenchmarkEndToEnd). A message of
// up to 2 arguments takes the smaller block2 (80 bytes, against 160): the
// collector's work and the allocator's grow with the bytes. The arguments
// slice and every value boxed from a block keep all of it alive, as the
// separate chunks kept theirs.
type block struct {
	args  [4]any
	strs  [4]string
	words [4]uint64
}

type block2 struct {
	args  [2]any
	strs  [2]string
	words [2]uint64
}

// start returns the slice of n positional arguments to fill, from a block
// whose string and scalar slots seed a (still empty) arena when n is at most
// 4.
func (a *arena) start(n int) []any {
	if n > 4 || a.strs != nil || a.words != nil {
		return make([]any, n)
	}
	if n <= 2 {
		b := new(block2)
		a.strs, a.words = b.strs[:0], b.words[:0]
		return b.args[:n:n]
	}
	b := new(block)
	a.strs, a.words = b.strs[:0], b.words[:0]
	return b.args[:n:n]
}

package index

import (
	"sync"
	"unsafe"

	"github.com/eventengine/eventengine/topic"
)

// memo remembers, for the literals seen recently at one node, which of its
// scan edges (regexps with no filter, see patterns) accept them, so that a
// literal evaluates those regexps once, not at every Match that reaches
// the node (BenchmarkMatch500Regexps/scan).
//
// It has two generations, like the engine's route cache: a literal is
// looked up in the current one, then in the old one (and copied into the
// current one); a miss evaluates the regexps and adds the literal to the
// current one. An entry made before edges were added evaluates only the new
// ones and is added again, extended (a registry change does not make every
// literal evaluate every regexp again: BenchmarkChangeThen20000/scan). When
// the current generation is full (as many entries added or extended as it
// holds), it becomes the old one and the old one is emptied and reused. So
// the memo holds at most two generations of literals, each used since the
// generation before last, with no goroutine to sweep it. A generation
// holds as many literals as there are interned topics (topic.InternedLen,
// when it turns over), between minMemo and maxMemo: the literals in use are
// the literals of live topics, and a memo smaller than them would miss on
// every literal of a cycle longer than itself. Topics that are collected
// leave the memo two turns later.
//
// The keys are copies in arenas owned by the memo (a key that were a
// topic's literal would keep the topic's slab alive), and the accepting
// edges of all the entries of a generation share one slice: a lookup, hit
// or miss, allocates nothing once the generations have grown to the
// literals in use.
type memo struct {
	mu       sync.Mutex // Match calls may run at the same time
	cur, old memoGen
	size     int        // the number of literals a generation holds
	sizeFor  func() int // the size of the next generation: memoSize (tests fix it)
}

type memoGen struct {
	m    map[string]uint64 // literal -> position<<32 | count<<16 | upto (see add)
	keys []byte            // the texts of the keys
	acc  []int32           // the indices in scan of the accepting edges, entry after entry
	adds int               // entries added, new or extended: the arenas hold this many
}

const (
	// memoMin is the number of scan edges from which a node keeps a memo:
	// below it, evaluating them costs about as much as a lookup.
	memoMin = 4
	// minMemo and maxMemo bound the literals of a generation.
	minMemo = 1 << 10
	maxMemo = 1 << 17
	// maxScan is the most scan edges a memo entry can describe (16 bits).
	maxScan = 1<<16 - 1
)

func newMemo() *memo {
	m := &memo{size: memoSize(), sizeFor: memoSize}
	m.cur.init(m.size)
	m.old.init(m.size)
	return m
}

// memoSize returns the size of a generation for the topics interned now:
// a power of two, so that it changes only when their number doubles or
// halves.
func memoSize() int {
	n := minMemo
	for n < maxMemo && n < topic.InternedLen() {
		n *= 2
	}
	return n
}

// init makes g empty and small: it grows with the literals it meets
// (allocating while it does), and an emptied generation keeps its size.
func (g *memoGen) init(size int) {
	g.m = make(map[string]uint64, min(size, 64))
	g.keys = make([]byte, 0, 1024)
	g.acc = make([]int32, 0, 64)
}

// accepting returns the slots, among the n (at most maxScan) scan edges,
// of those that accept lit (accepts(i) evaluates the edge in slot i). An
// entry made when there were fewer edges evaluates only the new ones
// (edges are only appended; a removed one stays in its slot, refusing
// everything, until the memo is dropped). The slice is valid until the
// next call.
func (m *memo) accepting(lit string, n int, accepts func(i int) bool) []int32 {
	acc, upto, ok := m.cur.get(lit)
	if ok && upto == n {
		return acc
	}
	// Extended entries count: they take room in the arenas too.
	if m.cur.adds >= m.size {
		m.turn() // before reading old, which turning empties for reuse (acc, from cur, is safe in old)
	}
	if !ok {
		acc, upto, _ = m.old.get(lit)
	}
	// A new entry in cur: what is known (from cur or old), then the edges
	// added since.
	pos := len(m.cur.acc)
	m.cur.acc = append(m.cur.acc, acc...)
	for i := upto; i < n; i++ {
		if accepts(i) {
			m.cur.acc = append(m.cur.acc, int32(i))
		}
	}
	return m.cur.add(lit, pos, n)
}

// turn makes the current generation the old one, and empties the old one
// to be the current one, resized if the number of interned topics has
// doubled or halved since it was sized.
func (m *memo) turn() {
	m.old, m.cur = m.cur, m.old
	if s := m.sizeFor(); s != m.size {
		m.size = s
		m.cur.init(s)
		return
	}
	clear(m.cur.m)
	m.cur.keys = m.cur.keys[:0]
	m.cur.acc = m.cur.acc[:0]
	m.cur.adds = 0
}

// add records lit in g with the accepting edges g.acc[pos:], found among
// the first upto edges, and returns them.
func (g *memoGen) add(lit string, pos, upto int) []int32 {
	// The key is always a new copy, even for an entry extended to new
	// edges: assigning to a map replaces the stored key with the one given,
	// which must not be lit. (The old copy and the old edges stay in the
	// arenas until the generation is emptied.)
	if len(g.keys)+len(lit) > cap(g.keys) {
		// A new arena: the keys in the old one stay valid (nothing writes
		// there again until the generation is emptied).
		g.keys = make([]byte, 0, max(2*cap(g.keys), len(lit)))
	}
	start := len(g.keys)
	g.keys = append(g.keys, lit...)
	key := unsafe.String(unsafe.SliceData(g.keys[start:]), len(lit))
	g.m[key] = g.pack(pos, upto)
	g.adds++
	return g.acc[pos:len(g.acc):len(g.acc)]
}

// pack returns the value of an entry whose accepting edges are g.acc[pos:],
// found among the first upto edges.
func (g *memoGen) pack(pos, upto int) uint64 {
	return uint64(pos)<<32 | uint64(len(g.acc)-pos)<<16 | uint64(upto)
}

// get returns the entry of lit in g: its accepting edges and the number of
// edges they were found among.
func (g *memoGen) get(lit string) ([]int32, int, bool) {
	v, ok := g.m[lit]
	if !ok {
		return nil, 0, false
	}
	pos, n, upto := int(v>>32), int(uint16(v>>16)), int(uint16(v))
	return g.acc[pos : pos+n : pos+n], upto, true
}

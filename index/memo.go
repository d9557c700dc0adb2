package index

import (
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
// current one. When the current generation is full, it becomes the old one
// and the old one is emptied and reused. So the memo holds at most two
// generations of literals, each used since the generation before last,
// with no goroutine to sweep it. A generation holds as many literals as
// there are interned topics (topic.InternedLen, when it turns over),
// between minMemo and maxMemo: the literals in use are the literals of
// live topics, and a memo smaller than them would miss on every literal of
// a cycle longer than itself. Topics that are collected leave the memo two
// turns later.
//
// The keys are copies in arenas owned by the memo (a key that were a
// topic's literal would keep the topic's slab alive), and the accepting
// edges of all the entries of a generation share one slice: a lookup, hit
// or miss, allocates nothing once the generations have grown to the
// literals in use.
type memo struct {
	cur, old memoGen
	size     int        // the number of literals a generation holds
	sizeFor  func() int // the size of the next generation: memoSize (tests fix it)
}

type memoGen struct {
	m    map[string]uint64 // literal -> the position<<32 | count of its accepting edges in acc
	keys []byte            // the texts of the keys
	acc  []int32           // the indices in scan of the accepting edges, entry after entry
}

const (
	// memoMin is the number of scan edges from which a node keeps a memo:
	// below it, evaluating them costs about as much as a lookup.
	memoMin = 4
	// minMemo and maxMemo bound the literals of a generation.
	minMemo = 1 << 10
	maxMemo = 1 << 17
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

// accepting returns the indices, among the n scan edges, of those that
// accept lit (accepts(i) evaluates edge i). The slice is valid until the
// next call.
func (m *memo) accepting(lit string, n int, accepts func(i int) bool) []int32 {
	if acc, ok := m.cur.get(lit); ok {
		return acc
	}
	if len(m.cur.m) >= m.size {
		m.turn() // before reading old: turning empties it for reuse
	}
	if acc, ok := m.old.get(lit); ok {
		return m.cur.add(lit, len(m.cur.acc), acc)
	}
	pos := len(m.cur.acc)
	for i := range n {
		if accepts(i) {
			m.cur.acc = append(m.cur.acc, int32(i))
		}
	}
	return m.cur.add(lit, pos, nil)
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
}

// add records lit in g with the accepting edges g.acc[pos:] followed by
// more, and returns them.
func (g *memoGen) add(lit string, pos int, more []int32) []int32 {
	if len(g.keys)+len(lit) > cap(g.keys) {
		// A new arena: the keys in the old one stay valid (nothing writes
		// there again until the generation is emptied).
		g.keys = make([]byte, 0, max(2*cap(g.keys), len(lit)))
	}
	start := len(g.keys)
	g.keys = append(g.keys, lit...)
	key := unsafe.String(unsafe.SliceData(g.keys[start:]), len(lit))
	g.acc = append(g.acc, more...)
	g.m[key] = uint64(pos)<<32 | uint64(len(g.acc)-pos)
	return g.acc[pos:len(g.acc):len(g.acc)]
}

// get returns the entry of lit in g.
func (g *memoGen) get(lit string) ([]int32, bool) {
	v, ok := g.m[lit]
	if !ok {
		return nil, false
	}
	pos, n := int(v>>32), int(uint32(v))
	return g.acc[pos : pos+n : pos+n], true
}

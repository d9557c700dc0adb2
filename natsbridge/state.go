package natsbridge

import "fmt"

// DefaultStateLimit is the number of entries one generation of each of the
// bridge's per-topic tables holds unless WithStateLimit sets it.
const DefaultStateLimit = 1 << 16

// maxStateLimit bounds WithStateLimit: beyond it the bound would not bound
// anything a process can hold.
const maxStateLimit = 1 << 30

// WithStateLimit sets how many entries one generation of each per-topic
// table of the bridge holds (default DefaultStateLimit): the sender's
// routes (one per local topic), the receiver's sequence windows (one per
// origin and topic), origins and subjects. Each table keeps two
// generations, so it holds at most 2n entries; an entry is forgotten once
// n others were used since it was last used (docs/bridge.md, "State
// bounds"). Loss detection and duplicate dropping are exact for the topics
// used within that span; give a limit above the number of topics (times
// origins, at a receiver) in use at once.
func WithStateLimit(n int) Option {
	return func(c *config) error {
		if n < 1 || n > maxStateLimit {
			return fmt.Errorf("%w: state limit %d, want 1 to %d entries per generation", ErrOption, n, maxStateLimit)
		}
		c.stateLimit = n
		return nil
	}
}

// gens is a table bounded with no sweeper, as the engine's route cache
// (engine/dispatch.go) is: two generations of at most limit entries each.
// When the current one is full, the older one is dropped and the current
// one becomes the older; a hit in the older generation moves the entry to
// the current one. So an entry survives as long as fewer than limit other
// keys were used since its own last use, and one not used for that long is
// forgotten, whatever the number of keys seen over time. Unlike the route
// cache it does not resize itself: what it forgets changes what the bridge
// can detect (see seqState), so the bound is the user's to set.
//
// The current generation is made anew at each swap rather than cleared and
// reused, so the memory of a generation of topics no longer used goes with
// it (a cleared map keeps its size). It grows by insertions, which happen on
// misses only, where the caller allocates its entry anyway.
//
// Not safe for concurrent use: each table has one owner (the engine's loop
// for the routes, im.mu for the importer's).
type gens[K comparable, V any] struct {
	cur, old map[K]V
	// last is the entry used last, looked up without hashing: a stream of
	// messages on one topic (or from one origin) asks for the same key
	// again and again (BenchmarkEndToEnd). It is always in cur: only a
	// put of another key swaps generations, and that key becomes last.
	lastK   K
	lastV   V
	hasLast bool
	limit   int
	swaps   uint64 // generations made
	dropped uint64 // entries forgotten
}

func newGens[K comparable, V any](limit int) gens[K, V] {
	return gens[K, V]{cur: make(map[K]V), old: make(map[K]V), limit: limit}
}

// get returns the entry of k, moving it to the current generation.
func (g *gens[K, V]) get(k K) (V, bool) {
	if g.hasLast && k == g.lastK {
		return g.lastV, true
	}
	if v, ok := g.cur[k]; ok {
		g.lastK, g.lastV, g.hasLast = k, v, true
		return v, true
	}
	return g.promote(k)
}

func (g *gens[K, V]) promote(k K) (V, bool) {
	v, ok := g.old[k]
	if ok {
		delete(g.old, k)
		g.put(k, v)
	}
	return v, ok
}

// put adds the entry of k, a key get did not find.
func (g *gens[K, V]) put(k K, v V) {
	if len(g.cur) >= g.limit {
		g.dropped += uint64(len(g.old))
		g.old, g.cur = g.cur, make(map[K]V)
		g.swaps++
	}
	g.cur[k] = v
	g.lastK, g.lastV, g.hasLast = k, v, true
}

// replace sets the entry of k, a key get just found (so in g.cur).
func (g *gens[K, V]) replace(k K, v V) {
	g.cur[k] = v
	g.lastK, g.lastV, g.hasLast = k, v, true
}

// len returns the number of entries held.
func (g *gens[K, V]) len() int { return len(g.cur) + len(g.old) }

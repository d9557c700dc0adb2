package engine

import (
	"sync/atomic"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// routeCache maps exact topics to their delivery lists. Only the loop
// goroutine touches it.
//
// Bounded with no sweeper: it has two generations of at most size entries;
// when the current one fills, the older one is emptied and becomes current,
// so hot topics survive (a hit in the older generation moves the entry to
// the current one) and topics no longer published age out.
//
// Sized to the topics in use: a market publishes on thousands of topics at
// once, and a cache smaller than that misses on nearly every message
// (BenchmarkScale/topics=20000 against topics=1). Unless WithCacheSize fixed
// it, the size doubles, up to MaxCacheSize, when a generation saw many
// capacity misses: misses of topics that the previous swap had just dropped
// (remembered, approximately, by a bitset of their hashes). A stream of
// topics never seen again (10 million topics over a day) makes no capacity
// misses and leaves the size where it is.
//
// Kept across registry changes: every change that can alter a route is
// logged by the registry with its generation (registry.record). An entry
// remembers the generation it was last checked at; when it is older than
// the registry's, the loop checks only the changes since then against the
// entry's topic and recomputes the route only if one of them matches it. So
// subscribing or unsubscribing while 20,000 topics flow makes only the
// topics the change concerns pay a miss (BenchmarkScaleRegistryChange), and
// the loop never walks the whole cache.
type routeCache struct {
	gen       uint64 // the registry generation whose change log the cache holds
	size      int    // entries per generation
	fixed     bool   // size set by WithCacheSize: never grows
	cur, old  map[topic.Topic]routeEntry
	lastTopic topic.Topic // one-entry memo in front of the maps, valid at gen
	lastHooks []*event.Hook

	log     [changeLog]topic.Topic // copy of the registry's change log at gen
	logFrom uint64                 // log covers the generations after logFrom up to gen

	// evicted has a bit set for the hash of every entry the last swap
	// dropped; a miss on such a topic is a capacity miss.
	evicted        []uint64
	capacityMisses int // in the current generation

	// one shares the delivery lists of one hook: 20,000 topics that reach
	// one wildcard subscription hold the same slice. At most 2*size lists
	// (see shared), so hooks no longer registered are not kept for good.
	one map[*event.Hook][]*event.Hook
	buf []*event.Hook // resolve's output, copied by shared

	misses atomic.Uint64
}

// routeEntry is the delivery list of a topic and the registry generation it
// was last known valid at.
type routeEntry struct {
	hooks []*event.Hook
	gen   uint64
}

// MaxCacheSize is the most exact topics per generation that the dispatch
// loop's route cache grows to when WithCacheSize did not fix its size.
const MaxCacheSize = 1 << 20

func (c *routeCache) init(size int, fixed bool) {
	c.size, c.fixed = size, fixed
	c.cur = make(map[topic.Topic]routeEntry)
	c.old = make(map[topic.Topic]routeEntry)
	c.one = make(map[*event.Hook][]*event.Hook)
	if !fixed {
		c.evicted = make([]uint64, evictedWords(size))
	}
}

// evictedWords is the size of the evicted bitset for size entries: 8 bits
// an entry, so that about one topic in eight that was never cached looks
// evicted (a false capacity miss), far below the growth threshold.
func evictedWords(size int) int { return max(size/8, 1) }

// put stores the route of t, swapping generations when the current is full.
func (c *routeCache) put(t topic.Topic, r routeEntry) {
	if len(c.cur) >= c.size {
		c.swap()
	}
	c.cur[t] = r
}

// swap drops the older generation and makes it the current one. Before it
// does, it decides whether the cache should grow: when more than a quarter
// of the generation's entries were capacity misses, the topics in use do not
// fit in two generations.
func (c *routeCache) swap() {
	grow := !c.fixed && c.size < MaxCacheSize && c.capacityMisses > c.size/4
	c.capacityMisses = 0
	if c.evicted != nil {
		if grow {
			c.size *= 2
			c.evicted = make([]uint64, evictedWords(c.size))
		} else {
			clear(c.evicted)
		}
		n := uint64(len(c.evicted)) * 64
		for t := range c.old {
			h := t.Hash() % n
			c.evicted[h/64] |= 1 << (h % 64)
		}
	}
	c.cur, c.old = c.old, c.cur
	clear(c.cur)
}

// wasEvicted reports whether the last swap probably dropped t.
func (c *routeCache) wasEvicted(t topic.Topic) bool {
	if c.evicted == nil {
		return false
	}
	n := uint64(len(c.evicted)) * 64
	h := t.Hash() % n
	return c.evicted[h/64]&(1<<(h%64)) != 0
}

// shared returns a list equal to hooks, which is c.buf and is reused: the
// list the cache already holds for a single hook, or a copy.
func (c *routeCache) shared(hooks []*event.Hook) []*event.Hook {
	switch len(hooks) {
	case 0:
		return nil
	case 1:
		if s, ok := c.one[hooks[0]]; ok {
			return s
		}
		if len(c.one) >= 2*c.size {
			// Hooks come and go: a subscriber that unsubscribes and comes
			// back has a new hook. Bound the lists here, not at a swap: one
			// topic's route recomputed after each change never fills a
			// generation (TestReviewSharedListsBoundedUnderHookChurn).
			clear(c.one)
		}
		s := []*event.Hook{hooks[0]}
		c.one[hooks[0]] = s
		return s
	}
	return append([]*event.Hook(nil), hooks...)
}

// stale reports whether a change logged after generation g may alter the
// route of t, or whether the log no longer reaches back to g.
func (c *routeCache) stale(t topic.Topic, g uint64) bool {
	if g < c.logFrom {
		return true
	}
	for v := g + 1; v <= c.gen; v++ {
		if c.log[v%changeLog].Matches(t) {
			return true
		}
	}
	return false
}

// route returns the hooks a message on t reaches.
func (e *Engine) route(t topic.Topic) []*event.Hook {
	c := &e.cache
	if e.reg.gen.Load() != c.gen {
		e.reg.copyLog(c)
		c.lastTopic, c.lastHooks = topic.Topic{}, nil
	} else if t == c.lastTopic {
		return c.lastHooks
	}
	r, inCur := c.cur[t]
	if inCur && r.gen == c.gen { // the common case: cached, no change since
		c.lastTopic, c.lastHooks = t, r.hooks
		return r.hooks
	}
	return e.routeSlow(t, r, inCur)
}

// routeSlow is route for a topic that is not in the current generation, or
// whose entry predates a registry change.
func (e *Engine) routeSlow(t topic.Topic, r routeEntry, inCur bool) []*event.Hook {
	c := &e.cache
	ok := inCur
	if !ok {
		r, ok = c.old[t]
	}
	if ok && r.gen != c.gen && c.stale(t, r.gen) {
		ok = false
	}
	if !ok {
		c.misses.Add(1)
		if !inCur && c.wasEvicted(t) {
			c.capacityMisses++
		}
		var hooks []*event.Hook
		hooks, r.gen = e.reg.resolve(t, c.buf[:0])
		r.hooks = c.shared(hooks)
		clear(hooks)
		c.buf = hooks[:0]
		if r.gen != c.gen {
			// A change came between the log copy and resolve: catch up.
			e.reg.copyLog(c)
		}
	}
	if r.gen != c.gen && !c.stale(t, r.gen) {
		r.gen = c.gen // no change since r.gen concerns t
	}
	if inCur {
		c.cur[t] = r
	} else {
		c.put(t, r)
	}
	if r.gen == c.gen {
		c.lastTopic, c.lastHooks = t, r.hooks
	} else {
		// resolve saw an older generation than the log, and a later
		// change may concern t: the entry is checked again next time.
		c.lastTopic, c.lastHooks = topic.Topic{}, nil
	}
	return r.hooks
}

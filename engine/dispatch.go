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
// capacity misses: misses of topics that were cached before and dropped,
// estimated from a sample of the topics by hash (noteMiss). A stream of
// topics never seen again (10 million topics over a day) makes no capacity
// misses and leaves the size where it is. Freed with the topics: when a
// long run of messages brings no new topic, an aging swap drops the entries
// not used since the last one, and shrinks the cache when few are left
// (age), so a cache grown for yesterday's 50,000 symbols does not keep them,
// or the hooks they reach, for good.
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

	// sample holds the hashes of the missed topics whose hash is 0 modulo
	// sampleEvery: a miss on a topic already there is a capacity miss (the
	// topic was cached and dropped), and counts for sampleEvery of them.
	sample         map[uint64]struct{}
	capacityMisses int // estimated, in the current generation
	// seen counts the messages of the current aging period and swaps the
	// swaps in it (see age).
	seen, swaps int

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

// Capacity misses are estimated from the topics whose hash is 0 modulo
// sampleEvery (a power of two); up to sampleMax such hashes are kept, so a
// recurring set of up to sampleEvery*sampleMax topics is seen to recur.
const (
	sampleEvery = 64
	sampleMax   = 1 << 14
)

func (c *routeCache) init(size int, fixed bool) {
	c.size, c.fixed = size, fixed
	c.cur = make(map[topic.Topic]routeEntry)
	c.old = make(map[topic.Topic]routeEntry)
	c.one = make(map[*event.Hook][]*event.Hook)
	if !fixed {
		c.sample = make(map[uint64]struct{})
	}
}

// put stores the route of t, swapping generations when the current is full.
func (c *routeCache) put(t topic.Topic, r routeEntry) {
	if len(c.cur) >= c.size {
		c.swap(false)
	}
	c.cur[t] = r
}

// noteMiss counts a miss on t, a topic not in the cache, towards growth.
func (c *routeCache) noteMiss(t topic.Topic) {
	if c.sample == nil {
		return
	}
	h := t.Hash()
	if h&(sampleEvery-1) != 0 {
		return
	}
	if _, ok := c.sample[h]; ok {
		c.capacityMisses += sampleEvery
		return
	}
	if len(c.sample) >= sampleMax {
		clear(c.sample)
	}
	c.sample[h] = struct{}{}
}

// swap drops the older generation and makes the current one the older.
// Before it does, it sizes the cache (unless WithCacheSize fixed it): it
// doubles when more than half a generation's entries were capacity misses
// (the topics in use do not fit), and halves, down to DefaultCacheSize,
// when an aging swap finds the generation less than a quarter full (the
// topics in use have gone); the maps are then made anew, so that their
// memory goes too (a cleared map keeps it).
func (c *routeCache) swap(aging bool) {
	c.swaps++
	shrink := false
	if !c.fixed {
		switch {
		case c.capacityMisses > c.size/2 && c.size < MaxCacheSize:
			c.size *= 2
		case aging && len(c.cur) < c.size/4 && c.size > DefaultCacheSize:
			c.size /= 2
			shrink = true
		}
	}
	c.capacityMisses = 0
	if shrink {
		c.old, c.cur = c.cur, make(map[topic.Topic]routeEntry)
		clear(c.one)
		return
	}
	c.cur, c.old = c.old, c.cur
	clear(c.cur)
}

// age is told of n messages delivered. Every agingPeriod generations'
// worth of messages with no swap, it swaps (an aging swap): entries not
// used for two periods go, and the hooks they point to with them, though
// no new topic comes to push them out, and the cache shrinks to the topics
// in use (TestRouteCacheAges). No sweeper: the loop does it, once a batch.
func (c *routeCache) age(n int) {
	c.seen += n
	if c.seen < agingPeriod*c.size {
		return
	}
	if c.swaps == 0 {
		c.swap(true)
	}
	c.seen, c.swaps = 0, 0
}

// agingPeriod is the length of an aging period, in generations' worth of
// messages (see age).
const agingPeriod = 8

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
	ok0 := ok // found, if maybe stale
	if ok && r.gen != c.gen && c.stale(t, r.gen) {
		ok = false
	}
	if !ok {
		c.misses.Add(1)
		if !ok0 {
			c.noteMiss(t)
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

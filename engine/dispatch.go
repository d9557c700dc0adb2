package engine

import (
	"sync/atomic"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// routeCache maps exact topics to their delivery lists. Only the loop
// goroutine touches it. It has two generations of at most size entries:
// when the current one fills, the older one is emptied and becomes current,
// so the cache stays bounded with no sweeper and hot topics survive.
type routeCache struct {
	gen       uint64 // registry generation the entries are valid for
	size      int
	cur, old  map[topic.Topic][]*event.Hook
	lastTopic topic.Topic // one-entry memo in front of the maps
	lastHooks []*event.Hook
	misses    atomic.Uint64
}

func (c *routeCache) init(size int) {
	c.size = size
	c.cur = make(map[topic.Topic][]*event.Hook)
	c.old = make(map[topic.Topic][]*event.Hook)
}

func (c *routeCache) reset(gen uint64) {
	c.gen = gen
	clear(c.cur)
	clear(c.old)
	c.lastTopic = topic.Topic{}
	c.lastHooks = nil
}

func (c *routeCache) put(t topic.Topic, hooks []*event.Hook) {
	if len(c.cur) >= c.size {
		c.cur, c.old = c.old, c.cur
		clear(c.cur)
	}
	c.cur[t] = hooks
}

// route returns the hooks a message on t reaches.
func (e *Engine) route(t topic.Topic) []*event.Hook {
	c := &e.cache
	if g := e.reg.gen.Load(); g != c.gen {
		c.reset(g)
	} else if t == c.lastTopic {
		return c.lastHooks
	}
	hooks, ok := c.cur[t]
	if !ok {
		if hooks, ok = c.old[t]; ok {
			c.put(t, hooks)
		} else {
			c.misses.Add(1)
			var g uint64
			hooks, g = e.reg.resolve(t)
			if g != c.gen {
				c.reset(g)
			}
			c.put(t, hooks)
		}
	}
	c.lastTopic, c.lastHooks = t, hooks
	return hooks
}

package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// These tests drive the route cache through e.route with the loop not
// running (the cache is the loop's: with no loop, the test goroutine may
// stand in for it), so that what they count is exact.

func topicsN(prefix string, n int) []topic.Topic {
	ts := make([]topic.Topic, n)
	for i := range ts {
		ts[i] = topic.MustParse(fmt.Sprintf("%s.T%d", prefix, i))
	}
	return ts
}

func nop(event.Message) {}

// TestRouteCacheGrowsToTopicsInUse: 20,000 topics cycled through a cache
// that starts at 8,192 per generation. At first every message misses; the
// cache must grow until a whole cycle misses no more, and stay within a
// small multiple of the topics in use.
func TestRouteCacheGrowsToTopicsInUse(t *testing.T) {
	e := newEngine(t)
	if _, err := e.RegisterFunc(topic.MustParse("Market.Data.{symbol}"), nop); err != nil {
		t.Fatal(err)
	}
	ts := topicsN("Market.Data", 20000)
	cycles := 0
	for {
		before := e.cache.misses.Load()
		for _, tp := range ts {
			if len(e.route(tp)) != 1 {
				t.Fatalf("route of %v: want the one subscription", tp)
			}
		}
		cycles++
		if e.cache.misses.Load() == before {
			break
		}
		if cycles == 8 {
			t.Fatalf("still missing after %d cycles: size %d, misses %d", cycles, e.cache.size, e.cache.misses.Load())
		}
	}
	if e.cache.size > 4*len(ts) {
		t.Fatalf("cache grew to %d per generation for %d topics", e.cache.size, len(ts))
	}
	t.Logf("no miss from cycle %d on; size %d per generation, misses %d", cycles, e.cache.size, e.cache.misses.Load())
}

// TestRouteCacheChurnDoesNotGrow: topics that are never published again
// (a stream of new topics) make no capacity misses, so the cache keeps its
// size and memory.
func TestRouteCacheChurnDoesNotGrow(t *testing.T) {
	e := newEngine(t)
	if _, err := e.RegisterFunc(topic.MustParse("Churn.{a}.{b}"), nop); err != nil {
		t.Fatal(err)
	}
	n := 200000
	if testing.Short() {
		n = 50000
	}
	for i := range n {
		e.route(topic.MustParse(fmt.Sprintf("Churn.%d.%d", i/1000, i%1000)))
	}
	if e.cache.size != DefaultCacheSize {
		t.Fatalf("cache size %d after %d one-off topics, want it to stay %d", e.cache.size, n, DefaultCacheSize)
	}
	if l := len(e.cache.cur) + len(e.cache.old); l > 2*DefaultCacheSize {
		t.Fatalf("cache holds %d entries", l)
	}
	if len(e.cache.one) != 1 {
		t.Fatalf("%d shared one-hook lists, want 1", len(e.cache.one))
	}
}

// TestRouteCacheFixedSize: WithCacheSize fixes the size even when the
// topics in use do not fit.
func TestRouteCacheFixedSize(t *testing.T) {
	e := newEngine(t, WithCacheSize(100))
	if _, err := e.RegisterFunc(topic.MustParse("F.{x}"), nop); err != nil {
		t.Fatal(err)
	}
	ts := topicsN("F", 1000)
	for range 3 {
		for _, tp := range ts {
			e.route(tp)
		}
	}
	if e.cache.size != 100 || len(e.cache.cur) > 100 || len(e.cache.old) > 100 {
		t.Fatalf("size %d, %d+%d entries, want 100 at most", e.cache.size, len(e.cache.cur), len(e.cache.old))
	}
}

// TestRouteCacheKeepsUnconcernedRoutes: a registry change makes only the
// topics it concerns miss.
func TestRouteCacheKeepsUnconcernedRoutes(t *testing.T) {
	e := newEngine(t)
	if _, err := e.RegisterFunc(topic.MustParse("Market.Data.{symbol}"), nop); err != nil {
		t.Fatal(err)
	}
	ts := topicsN("Market.Data", 1000)
	pass := func() uint64 {
		before := e.cache.misses.Load()
		for _, tp := range ts {
			e.route(tp)
		}
		return e.cache.misses.Load() - before
	}
	if m := pass(); m != 1000 {
		t.Fatalf("first pass: %d misses, want 1000", m)
	}
	if m := pass(); m != 0 {
		t.Fatalf("second pass: %d misses, want 0", m)
	}
	other, err := e.RegisterFunc(topic.MustParse("Orders.{id}"), nop)
	if err != nil {
		t.Fatal(err)
	}
	if m := pass(); m != 0 {
		t.Fatalf("after an unrelated subscription: %d misses, want 0", m)
	}
	if _, err := e.RegisterFunc(topic.MustParse("Market.Data.(T1|T2)"), nop); err != nil {
		t.Fatal(err)
	}
	if m := pass(); m != 2 {
		t.Fatalf("after a subscription to 2 of the topics: %d misses, want 2", m)
	}
	if got := len(e.route(ts[1])); got != 2 {
		t.Fatalf("T1 reaches %d hooks, want 2", got)
	}
	if _, err := e.RegisterFunc(ts[5], nop); err != nil {
		t.Fatal(err)
	}
	if m := pass(); m != 1 {
		t.Fatalf("after an exact subscription: %d misses, want 1", m)
	}
	if err := e.UnregisterHandler(topic.MustParse("Orders.{id}"), other); err != nil {
		t.Fatal(err)
	}
	if m := pass(); m != 0 {
		t.Fatalf("after removing the unrelated subscription: %d misses, want 0", m)
	}
	// More changes than the log holds: every route is recomputed once.
	for i := range changeLog + 1 {
		if _, err := e.RegisterFunc(topic.MustParse(fmt.Sprintf("Other%d.{x}", i)), nop); err != nil {
			t.Fatal(err)
		}
	}
	if m := pass(); m != 1000 {
		t.Fatalf("after %d changes: %d misses, want 1000", changeLog+1, m)
	}
}

// TestRouteCacheAgainstRegistry registers and unregisters random
// subscriptions (exact, named wildcards, *, >, ranges, patterns) between random
// lookups, and checks every route the cache gives against the registry's
// own computation, including after more changes than the change log holds.
func TestRouteCacheAgainstRegistry(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	e := newEngine(t, WithCacheSize(64)) // small: swaps and old-generation hits too
	parts := []string{"A", "B", "C"}
	var exacts []topic.Topic
	for _, a := range parts {
		for _, b := range parts {
			for _, c := range parts {
				exacts = append(exacts, topic.MustParse(a+"."+b+"."+c))
			}
		}
	}
	choices := []string{"A", "B", "C", "{x%d}", "*", "(A|B)", "/^[BC]$/"}
	randomPattern := func() topic.Topic {
		var s string
		for i := range 3 {
			if i > 0 {
				s += "."
			}
			if i > 0 && rng.IntN(8) == 0 {
				s += ">"
				break
			}
			c := choices[rng.IntN(len(choices))]
			if c == "{x%d}" {
				c = fmt.Sprintf(c, i)
			}
			s += c
		}
		return topic.MustParse(s)
	}
	type reg struct {
		t  topic.Topic
		id event.ID
	}
	var regs []reg
	steps := 20000
	if testing.Short() {
		steps = 4000
	}
	for step := range steps {
		switch op := rng.IntN(100); {
		case op < 20 && len(regs) < 100: // subscribe
			p := randomPattern()
			id, err := e.RegisterFunc(p, nop)
			if err != nil {
				t.Fatal(err)
			}
			regs = append(regs, reg{p, id})
		case op < 40 && len(regs) > 0: // unsubscribe
			i := rng.IntN(len(regs))
			if err := e.UnregisterHandler(regs[i].t, regs[i].id); err != nil {
				t.Fatal(err)
			}
			regs = slices.Delete(regs, i, i+1)
		case op == 40: // a burst of changes, more than the log holds
			for range changeLog + rng.IntN(3) {
				p := randomPattern()
				id, err := e.RegisterFunc(p, nop)
				if err != nil {
					t.Fatal(err)
				}
				regs = append(regs, reg{p, id})
			}
		default:
			tp := exacts[rng.IntN(len(exacts))]
			got := e.route(tp)
			e.reg.mu.Lock()
			want := e.reg.route(tp)
			e.reg.mu.Unlock()
			if !slices.Equal(got, want) {
				t.Fatalf("step %d: route of %v: cache %d hooks, registry %d", step, tp, len(got), len(want))
			}
		}
	}
}

// TestRouteMissDoesNotAllocate: a route miss whose delivery list is one
// hook already seen allocates nothing but what the cache's map may need.
func TestRouteMissDoesNotAllocate(t *testing.T) {
	e := newEngine(t, WithCacheSize(16))
	if _, err := e.RegisterFunc(topic.MustParse("M.{x}"), nop); err != nil {
		t.Fatal(err)
	}
	ts := topicsN("M", 64)
	for _, tp := range ts {
		e.route(tp) // warm up: maps at size, the shared list made
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		e.route(ts[i%len(ts)])
		i++
	})
	if allocs > 0 {
		t.Fatalf("%.2f allocations per route miss, want 0", allocs)
	}
	if e.cache.misses.Load() < 1000 {
		t.Fatalf("only %d misses: the test did not exercise misses", e.cache.misses.Load())
	}
}

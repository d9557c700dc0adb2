package engine_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// TestRoutingAgreesWithMatches: across registry changes, with
// subscriptions of every kind of the topic language (exact, named
// wildcards, *, > as the last part, ranges, regexps), every message reaches
// exactly the hooks whose topics topic.Matches accepts, each once, in the
// order HooksFor gives; and HooksFor of a generic topic lists exactly the
// registered hooks that match it.
func TestRoutingAgreesWithMatches(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 14))
	lits := []string{"a", "b", "c", "dd", "a*"}
	gen := func(generic bool) topic.Topic {
		for {
			n := 1 + r.IntN(4)
			s := ""
			for i := range n {
				if i > 0 {
					s += "."
				}
				k := 9
				if generic {
					k = r.IntN(10)
				}
				switch k {
				case 0:
					s += fmt.Sprintf("{w%d}", i)
				case 1:
					s += "(a|c)"
				case 2:
					s += "/^d|b/"
				case 3:
					s += "*"
				case 4:
					if i == n-1 {
						s += ">"
					} else {
						s += "*"
					}
				default:
					s += lits[r.IntN(len(lits))]
				}
			}
			tp, err := topic.Parse(s)
			if err != nil {
				t.Fatalf("Parse(%q): %v", s, err)
			}
			if tp.IsExact() == !generic {
				return tp
			}
		}
	}

	e, err := engine.New(engine.WithCapacity(1024))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.Start()
	defer e.Stop()

	type delivery struct {
		seq uint64
		sub topic.Topic
	}
	var (
		mu   sync.Mutex
		got  []delivery
		done = make(chan uint64, 1)
	)
	record := func(sub topic.Topic) func(event.Message) {
		return func(m event.Message) {
			mu.Lock()
			got = append(got, delivery{m.Seq, sub})
			mu.Unlock()
		}
	}
	sentinel := topic.MustParse("zz.sentinel.end.now") // matched by no generated subscription
	if _, err := e.RegisterFunc(sentinel, func(m event.Message) { done <- m.Seq }); err != nil {
		t.Fatalf("register sentinel: %v", err)
	}

	ids := map[topic.Topic]event.ID{}
	for round := range 40 {
		// Change the registry: add a few subscriptions, drop one.
		for range 4 {
			sub := gen(r.IntN(4) > 0)
			if _, ok := ids[sub]; ok || sub.Matches(sentinel) {
				continue
			}
			id, err := e.RegisterFunc(sub, record(sub))
			if err != nil {
				t.Fatalf("RegisterFunc(%v): %v", sub, err)
			}
			ids[sub] = id
		}
		if round%3 == 2 {
			for sub, id := range ids {
				if err := e.UnregisterHandler(sub, id); err != nil {
					t.Fatalf("UnregisterHandler(%v): %v", sub, err)
				}
				delete(ids, sub)
				break
			}
		}
		// Publish, then wait for the sentinel: the loop delivers in order.
		mu.Lock()
		got = got[:0]
		mu.Unlock()
		var pubs []topic.Topic
		for range 50 {
			pubs = append(pubs, gen(false))
		}
		for _, p := range pubs {
			if err := e.Put(p); err != nil {
				t.Fatalf("Put(%v): %v", p, err)
			}
		}
		if err := e.Put(sentinel); err != nil {
			t.Fatalf("Put(sentinel): %v", err)
		}
		var last uint64
		select {
		case last = <-done:
		case <-time.After(time.Minute):
			t.Fatal("the sentinel was not delivered within a minute")
		}
		first := last - uint64(len(pubs))
		mu.Lock()
		bySeq := map[uint64][]topic.Topic{}
		for _, d := range got {
			bySeq[d.seq] = append(bySeq[d.seq], d.sub)
		}
		mu.Unlock()
		for i, p := range pubs {
			var want []topic.Topic
			for _, h := range e.HooksFor(p) {
				want = append(want, h.Topic())
			}
			var brute []topic.Topic
			for sub := range ids {
				if sub.Matches(p) {
					brute = append(brute, sub)
				}
			}
			gotSubs := bySeq[first+uint64(i)]
			if !slices.Equal(gotSubs, want) {
				t.Fatalf("round %d: %v reached %v, HooksFor gives %v", round, p, gotSubs, want)
			}
			if !sameSet(gotSubs, brute) {
				t.Fatalf("round %d: %v reached %v, topic.Matches accepts %v", round, p, gotSubs, brute)
			}
		}
		// HooksFor of a generic topic: every registered hook that matches it.
		q := gen(true)
		var hooks, brute []topic.Topic
		for _, h := range e.HooksFor(q) {
			hooks = append(hooks, h.Topic())
		}
		for sub := range ids {
			if sub.Matches(q) {
				brute = append(brute, sub)
			}
		}
		if sentinel.Matches(q) {
			brute = append(brute, sentinel)
		}
		if !sameSet(hooks, brute) {
			t.Fatalf("round %d: HooksFor(%v) = %v, topic.Matches accepts %v", round, q, hooks, brute)
		}
	}
}

// sameSet reports whether a and b hold the same topics, each once.
func sameSet(a, b []topic.Topic) bool {
	cmp := func(x, y topic.Topic) int {
		switch {
		case x.String() < y.String():
			return -1
		case x.String() > y.String():
			return 1
		}
		return 0
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, cmp)
	slices.SortFunc(b, cmp)
	return slices.Equal(a, b) && len(slices.Compact(a)) == len(b)
}

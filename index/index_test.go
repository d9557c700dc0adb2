package index

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/eventengine/eventengine/topic"
)

func mustParse(t testing.TB, s string) topic.Topic {
	t.Helper()
	tp, err := topic.Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return tp
}

func TestMatchKinds(t *testing.T) {
	var ix Index[string]
	subs := []string{
		"Market.Data.{symbol}",
		"Market.{kind}.AAPL",
		"Market.(Equity|Futures).Trade",
		`Market.Data./^[A-Z]{4}$/`,
		"Market.{a}.{b}",
		"Other.{x}",
		"Market.*.AAPL",
		"Market.>",
		">",
		"Market.Data.>",
	}
	for _, s := range subs {
		if !ix.Insert(mustParse(t, s), s) {
			t.Fatalf("Insert(%q) reported a duplicate", s)
		}
	}
	if ix.Insert(mustParse(t, subs[0]), subs[0]) {
		t.Fatal("second Insert of the same pair reported new")
	}
	cases := map[string][]string{
		"Market.Data.AAPL":    {"Market.Data.{symbol}", "Market.{kind}.AAPL", `Market.Data./^[A-Z]{4}$/`, "Market.{a}.{b}", "Market.*.AAPL", "Market.>", ">", "Market.Data.>"},
		"Market.Data.IBM":     {"Market.Data.{symbol}", "Market.{a}.{b}", "Market.>", ">", "Market.Data.>"},
		"Market.Equity.Trade": {"Market.(Equity|Futures).Trade", "Market.{a}.{b}", "Market.>", ">"},
		"Market.Bonds.Trade":  {"Market.{a}.{b}", "Market.>", ">"},
		"Other.Thing":         {"Other.{x}", ">"},
		"Other":               {">"},
		"Market":              {">"},
		"Market.Data":         {"Market.>", ">"},
		"Market.Data.AAPL.X":  {"Market.>", ">", "Market.Data.>"},
	}
	for in, want := range cases {
		got := ix.Match(mustParse(t, in), nil)
		slices.Sort(got)
		w := slices.Clone(want)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("Match(%q) = %q, want %q", in, got, w)
		}
	}
}

func TestRemovePrunes(t *testing.T) {
	var ix Index[int]
	a := mustParse(t, "A.(x|y).{z}")
	b := mustParse(t, `A./^x/.{z}`)
	ix.Insert(a, 1)
	ix.Insert(b, 2)
	if got := ix.Match(mustParse(t, "A.x.q"), nil); len(got) != 2 {
		t.Fatalf("Match before removal = %v, want 2 values", got)
	}
	if !ix.Remove(a, 1) {
		t.Fatal("Remove(a) = false")
	}
	if ix.Remove(a, 1) {
		t.Fatal("second Remove(a) = true")
	}
	if got := ix.Match(mustParse(t, "A.y.q"), nil); len(got) != 0 {
		t.Fatalf("Match after removal = %v", got)
	}
	ix.Remove(b, 2)
	if ix.Len() != 0 || ix.root.size != 0 || len(ix.root.exact) != 0 {
		t.Fatalf("index not empty after removing everything: len %d size %d children %d", ix.Len(), ix.root.size, len(ix.root.exact))
	}
}

// regexps are pattern parts of every kind the index's analysis tells
// apart: finite anchored languages, anchored prefixes and the rest.
var regexps = []string{"/^d/", "/a|b/", "/^[ac]$/", "/^a$/", "/^(a|dd)$/", "/^a$|^c$/", "/^d+$/", "/^a\\*?$/",
	"/(?i)^A$/", "/^b>?$/", "/c/", "/^d(d|x)$/", "/\\Aa\\z/", "/^(?:a|b)*$/", "/^a*/"}

// TestAgainstBruteForce checks the index against topic.Matches over random
// subscriptions of every kind (exact, named wildcards, *, > as the last
// part, ranges, regexps), removals and topics of one to four parts.
func TestAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lits := []string{"a", "b", "c", "dd", "a*", "b>"}
	part := func(pos int, last bool) string {
		switch r.IntN(10) {
		case 0:
			return fmt.Sprintf("{w%d}", pos)
		case 1:
			return "(a|c)"
		case 2:
			return regexps[r.IntN(len(regexps))]
		case 3:
			return "*"
		case 4:
			if last {
				return ">"
			}
			return "*"
		default:
			return lits[r.IntN(len(lits))]
		}
	}
	gen := func(generic bool) topic.Topic {
		for {
			n := 1 + r.IntN(4)
			s := ""
			for i := 0; i < n; i++ {
				if i > 0 {
					s += "."
				}
				if generic {
					s += part(i, i == n-1)
				} else {
					s += lits[r.IntN(len(lits))]
				}
			}
			tp := mustParse(t, s)
			if tp.IsExact() == !generic {
				return tp
			}
		}
	}
	var ix Index[int]
	model := map[topic.Topic]int{}
	for round := 0; round < 5000; round++ {
		if r.IntN(3) > 0 || len(model) == 0 {
			tp := gen(true)
			if _, ok := model[tp]; !ok {
				model[tp] = round
				ix.Insert(tp, round)
			}
		} else {
			for tp, v := range model {
				if !ix.Remove(tp, v) {
					t.Fatalf("Remove(%v) = false", tp)
				}
				delete(model, tp)
				break
			}
		}
		for range 3 {
			e := gen(false)
			var want []int
			for tp, v := range model {
				if tp.Matches(e) {
					want = append(want, v)
				}
			}
			got := ix.Match(e, nil)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("round %d: Match(%v) = %v, brute force %v", round, e, got, want)
			}
		}
	}
	n := 0
	for range ix.All() {
		n++
	}
	if n != len(model) || ix.Len() != len(model) {
		t.Fatalf("All yielded %d, Len %d, model %d", n, ix.Len(), len(model))
	}
	for tp, v := range model {
		ix.Remove(tp, v)
	}
	if ix.Len() != 0 || ix.root.size != 0 || ix.root.any != nil || ix.root.rest != nil || len(ix.root.exact) != 0 || ix.root.patterns != nil {
		t.Fatalf("index not empty after removing everything")
	}
}

func BenchmarkMatch10000(b *testing.B) {
	var ix Index[int]
	for i := range 10000 {
		ix.Insert(mustParse(b, fmt.Sprintf("Feed%d.{kind}.{symbol}", i)), i)
	}
	ix.Insert(mustParse(b, "Market.{kind}.{symbol}"), -1)
	e := mustParse(b, "Market.Data.AAPL")
	var dst []int
	b.ReportAllocs()
	for b.Loop() {
		dst = ix.Match(e, dst[:0])
	}
	if len(dst) != 1 {
		b.Fatalf("matched %d", len(dst))
	}
}

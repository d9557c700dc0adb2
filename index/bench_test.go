package index

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/eventengine/eventengine/topic"
)

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// benchGen numbers the indexes regexpIndex builds, so that no run reuses
// the interned topics of an earlier one (which would hide their memory).
var benchGen int

// regexpIndex returns an index of one Market.Data.{symbol} subscription
// and n regexp subscriptions Market.Data./<expr(i, gen)>/, and the heap
// bytes each regexp subscription added (the parsed topic and its compiled
// regexp included).
func regexpIndex(b *testing.B, n int, expr func(i, gen int) string) (*Index[int], float64) {
	b.Helper()
	benchGen++
	ix := &Index[int]{}
	ix.Insert(mustParse(b, "Market.Data.{symbol}"), -1)
	before := heapInUse()
	for i := range n {
		ix.Insert(mustParse(b, "Market.Data./"+expr(i, benchGen)+"/"), i)
	}
	return ix, float64(int64(heapInUse())-int64(before)) / float64(n)
}

// topics returns n distinct exact topics Market.Data.S<i> (none accepted
// by the regexps of the benchmarks: the case of a user's 20,000 symbols
// and 500 regexps for a few of them).
func topics(b *testing.B, n int) []topic.Topic {
	ts := make([]topic.Topic, n)
	for i := range ts {
		ts[i] = mustParse(b, fmt.Sprintf("Market.Data.S%d", i))
	}
	return ts
}

// The regexp kinds the index tells apart (see patterns).
var regexpKinds = []struct {
	name string
	expr func(i, gen int) string
}{
	{"finite", func(i, gen int) string { return fmt.Sprintf("^Z%d_%d$", i, gen) }},    // the Market.Data./^Z<i>$/
	{"prefix", func(i, gen int) string { return fmt.Sprintf(`^Z%d_%d\d*$`, i, gen) }}, // an anchored literal prefix
	{"scan", func(i, gen int) string { return fmt.Sprintf(`^[A-Z]+%d_%d$`, i, gen) }}, // neither: evaluated for every new literal
}

// BenchmarkMatch500Regexps: one Match of a topic against an index holding
// one wildcard and 500 regexp subscriptions at the same node, for the
// three kinds of regexp; "seen" matches one topic over and over, "20000"
// cycles through 20,000 distinct topics (more than the engine's route
// cache holds, so each would reach the index). B/sub is the heap a regexp
// subscription adds to the index, B/topic what a first Match of each topic
// leaves behind.
func BenchmarkMatch500Regexps(b *testing.B) {
	for _, k := range regexpKinds {
		for _, nt := range []int{1, 20000} {
			name := k.name + "/seen"
			if nt > 1 {
				name = fmt.Sprintf("%s/%d", k.name, nt)
			}
			b.Run(name, func(b *testing.B) {
				ts := topics(b, nt)
				ix, perSub := regexpIndex(b, 500, k.expr)
				dst := make([]int, 0, 8)
				before := heapInUse()
				for _, t := range ts {
					dst = ix.Match(t, dst[:0])
				}
				perTopic := float64(int64(heapInUse())-int64(before)) / float64(nt)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					dst = ix.Match(ts[i%nt], dst[:0])
					i++
				}
				if len(dst) != 1 {
					b.Fatalf("matched %v", dst)
				}
				b.ReportMetric(perSub, "B/sub")
				b.ReportMetric(perTopic, "B/topic")
			})
		}
	}
}

// BenchmarkMatch500RegexpsBaseline is what Match did before the pattern
// edges were indexed: every regexp evaluated for every topic.
func BenchmarkMatch500RegexpsBaseline(b *testing.B) {
	parts := make([]topic.Part, 500)
	for i := range parts {
		p, err := topic.PatternPart(fmt.Sprintf("^Z%d$", i))
		if err != nil {
			b.Fatal(err)
		}
		parts[i] = p
	}
	ts := topics(b, 20000)
	n := 0
	i := 0
	for b.Loop() {
		lit := ts[i%len(ts)].Part(2).Literal()
		for _, p := range parts {
			if p.Accepts(lit) {
				n++
			}
		}
		i++
	}
	if n != 0 {
		b.Fatal("accepted")
	}
}

package engine

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// BenchmarkScale: one producer publishes on n distinct topics in turn
// (Market.Data.T<i>), delivered to one Market.Data.{symbol} subscription,
// optionally beside subscriptions that match none of them: generic ones
// (Market.{kind}.N<i>, sharing the tree's first level) or regexps
// (Market.Data./^Z<i>$/, each tried on the symbol part). topics=1 is the
// always-cached case; topics=20000 is a market's symbol set, more than the
// route cache's initial size. ns/op is per message; the memory metrics are
// the heap growth per topic and per subscription, measured in the setup.
func BenchmarkScale(b *testing.B) {
	for _, c := range []struct {
		topics, generic, regexps int
	}{
		{1, 0, 0},
		{20000, 0, 0},
		{20000, 9500, 0},
		{20000, 0, 500},
	} {
		b.Run(fmt.Sprintf("topics=%d/generic=%d/regexps=%d", c.topics, c.generic, c.regexps), func(b *testing.B) {
			benchScale(b, c.topics, c.generic, c.regexps)
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func benchScale(b *testing.B, topics, generic, regexps int) {
	e, err := New()
	if err != nil {
		b.Fatal(err)
	}
	h0 := heapInUse()
	for i := range generic {
		if _, err := e.RegisterFunc(topic.MustParse(fmt.Sprintf("Market.{kind}.N%d", i)), nop); err != nil {
			b.Fatal(err)
		}
	}
	for i := range regexps {
		if _, err := e.RegisterFunc(topic.MustParse(fmt.Sprintf("Market.Data./^Z%d$/", i)), nop); err != nil {
			b.Fatal(err)
		}
	}
	c := newCounter(b.N)
	if _, err := e.RegisterHandler(topic.MustParse("Market.Data.{symbol}"), c); err != nil {
		b.Fatal(err)
	}
	h1 := heapInUse()
	ts := make([]topic.Topic, topics)
	for i := range ts {
		ts[i] = topic.MustParse(fmt.Sprintf("Market.Data.T%d", i))
	}
	h2 := heapInUse()
	// Warm the route cache so that the timed part measures the steady
	// state; the memory the routes take is counted per topic.
	for range 4 {
		for _, t := range ts {
			e.route(t)
		}
	}
	h3 := heapInUse()
	args := []any{1, 2.5}
	e.Start()
	defer e.Stop()
	misses := e.Stats().RouteMisses
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := e.Put(ts[i%topics], args...); err != nil {
			b.Error(err)
		}
	}
	<-c.done
	b.StopTimer()
	b.ReportMetric(float64(e.Stats().RouteMisses-misses)/float64(b.N), "misses/op")
	// Reported after the timed part: ResetTimer drops metrics reported before it.
	if subs := generic + regexps; subs > 0 {
		b.ReportMetric(float64(h1-h0)/float64(subs), "B/sub")
	}
	b.ReportMetric(float64(h2-h1)/float64(topics), "B/topic")
	b.ReportMetric(float64(h3-h2)/float64(topics), "B/route")
	runtime.KeepAlive(ts)
}

// BenchmarkScaleRegistryChange measures what one registry change costs the
// loop while 20,000 topics are cached: each op registers (or, the next op,
// removes) a subscription that concerns one of the topics, then publishes
// every topic once. ns/op is for the whole pass of 20,000 messages; compare
// it with the same pass and no change (change=false).
func BenchmarkScaleRegistryChange(b *testing.B) {
	for _, change := range []bool{false, true} {
		b.Run(fmt.Sprintf("change=%v", change), func(b *testing.B) {
			const topics = 20000
			e, err := New()
			if err != nil {
				b.Fatal(err)
			}
			var n int
			done := make(chan struct{}, 1)
			if _, err := e.RegisterFunc(topic.MustParse("Market.Data.{symbol}"), func(event.Message) {
				n++
				if n == topics {
					n = 0
					done <- struct{}{}
				}
			}); err != nil {
				b.Fatal(err)
			}
			ts := make([]topic.Topic, topics)
			for i := range ts {
				ts[i] = topic.MustParse(fmt.Sprintf("Market.Data.T%d", i))
			}
			for range 4 {
				for _, t := range ts {
					e.route(t)
				}
			}
			extra := topic.MustParse("Market.Data.(T7|T8)")
			e.Start()
			defer e.Stop()
			misses := e.Stats().RouteMisses
			b.ReportAllocs()
			b.ResetTimer()
			var id event.ID
			for i := range b.N {
				if change {
					if i%2 == 0 {
						id, err = e.RegisterFunc(extra, nop)
					} else {
						err = e.UnregisterHandler(extra, id)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				for _, t := range ts {
					if err := e.Put(t); err != nil {
						b.Fatal(err)
					}
				}
				<-done
			}
			b.StopTimer()
			b.ReportMetric(float64(e.Stats().RouteMisses-misses)/float64(b.N), "misses/change")
		})
	}
}

package engine

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// counter is a trivial handler that signals when it has seen want messages.
type counter struct {
	n, want int
	done    chan struct{}
}

func (c *counter) Handle(event.Message) {
	c.n++
	if c.n == c.want {
		close(c.done)
	}
}

func newCounter(want int) *counter { return &counter{want: want, done: make(chan struct{})} }

// BenchmarkChannel1P1C is the baseline: a buffered channel of the engine's
// message struct between one producer and one consumer goroutine that calls
// the same trivial handler.
func BenchmarkChannel1P1C(b *testing.B) { benchChannel(b, 1) }

// BenchmarkChannel4P1C is the baseline with four producers.
func BenchmarkChannel4P1C(b *testing.B) { benchChannel(b, 4) }

func benchChannel(b *testing.B, producers int) {
	tp := topic.MustParse("Bench.Exact")
	args := []any{1, 2.5}
	ch := make(chan event.Message, DefaultCapacity)
	c := newCounter(b.N)
	go func() {
		for m := range ch {
			c.Handle(m)
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	produce(b.N, producers, func() { ch <- event.Message{Topic: tp, Args: args} })
	<-c.done
	b.StopTimer()
	close(ch)
}

// produce runs put n times spread over the given number of goroutines.
func produce(n, producers int, put func()) {
	if producers == 1 {
		for range n {
			put()
		}
		return
	}
	var wg sync.WaitGroup
	for p := range producers {
		share := n / producers
		if p == 0 {
			share += n % producers
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range share {
				put()
			}
		}()
	}
	wg.Wait()
}

// BenchmarkEngine1P1C: one producer, one exact subscription, trivial handler.
func BenchmarkEngine1P1C(b *testing.B) { benchEngine(b, 1, 0) }

// BenchmarkEngine4P1C: four producers, one exact subscription.
func BenchmarkEngine4P1C(b *testing.B) { benchEngine(b, 4, 0) }

// BenchmarkEngine1P1CGeneric10k: as Engine1P1C with 10,000 non-matching
// generic subscriptions registered.
func BenchmarkEngine1P1CGeneric10k(b *testing.B) { benchEngine(b, 1, 10000) }

// BenchmarkEngine1P1CPanicking is Engine1P1C with a handler that panics
// on every message (recovered and counted; logged in full a few times,
// then summarised): issue 13 wants at least a quarter of Engine1P1C's
// throughput.
func BenchmarkEngine1P1CPanicking(b *testing.B) { benchEngine(b, 1, -1) }

// benchEngine runs the engine benchmarks; generic < 0 makes the handler
// panic after counting.
func benchEngine(b *testing.B, producers, generic int) {
	var opts []Option
	if generic < 0 {
		opts = append(opts, WithLogger(discardLogger()))
	}
	e, err := New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	tp := topic.MustParse("Bench.Exact")
	for i := range generic {
		if _, err := e.RegisterFunc(topic.MustParse(fmt.Sprintf("Bench%d.{kind}", i)), func(event.Message) {}); err != nil {
			b.Fatal(err)
		}
	}
	c := newCounter(b.N)
	var h event.Handler = c
	if generic < 0 {
		h = event.HandlerFunc(func(m event.Message) {
			c.Handle(m)
			panic("benchmark")
		})
	}
	if _, err := e.RegisterHandler(tp, h); err != nil {
		b.Fatal(err)
	}
	args := []any{1, 2.5}
	runtime.GC() // not during the run: the setup's garbage (10,000 subscriptions) is collected now
	e.Start()
	defer e.Stop()
	b.ReportAllocs()
	b.ResetTimer()
	produce(b.N, producers, func() {
		if err := e.Put(tp, args...); err != nil {
			b.Error(err)
		}
	})
	<-c.done
}

// BenchmarkEngineWork and BenchmarkEngineWorkPanicking: one producer, a
// handler that works for about a microsecond and then returns, or panics
// (issue 13's panic storm: at least a quarter of the throughput).
func BenchmarkEngineWork(b *testing.B) { benchWork(b, false) }

// BenchmarkEngineWorkPanicking: see BenchmarkEngineWork.
func BenchmarkEngineWorkPanicking(b *testing.B) { benchWork(b, true) }

func benchWork(b *testing.B, panics bool) {
	e := MustNew(WithLogger(discardLogger()))
	tp := topic.MustParse("Bench.Work")
	c := newCounter(b.N)
	if _, err := e.RegisterFunc(tp, func(m event.Message) {
		for start := time.Now(); time.Since(start) < time.Microsecond; {
		}
		c.Handle(m)
		if panics {
			panic("benchmark")
		}
	}); err != nil {
		b.Fatal(err)
	}
	e.Start()
	defer e.Stop()
	b.ResetTimer()
	for range b.N {
		if err := e.Put(tp); err != nil {
			b.Fatal(err)
		}
	}
	<-c.done
}

// BenchmarkEngineLatency publishes at a paced 100k messages/s and reports the
// publish → handler latency percentiles (p50-ns, p99-ns, p999-ns).
func BenchmarkEngineLatency(b *testing.B) {
	e, err := New()
	if err != nil {
		b.Fatal(err)
	}
	tp := topic.MustParse("Bench.Latency")
	sent := make([]time.Time, b.N)
	lat := make([]time.Duration, b.N)
	done := make(chan struct{})
	e.RegisterFunc(tp, func(m event.Message) {
		i := m.Seq - 1
		lat[i] = time.Since(sent[i])
		if int(i) == b.N-1 {
			close(done)
		}
	})
	e.Start()
	defer e.Stop()
	paced(b, sent, lat, done, func(int) {
		if err := e.Put(tp); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkChannelLatency is the latency baseline for BenchmarkEngineLatency:
// the same pacing, with a buffered channel and a receiving goroutine. On a
// shared machine its figures show how much of the engine's tail comes from
// the machine (threads descheduled, slow wake-ups) rather than the engine.
func BenchmarkChannelLatency(b *testing.B) {
	ch := make(chan int, DefaultCapacity)
	sent := make([]time.Time, b.N)
	lat := make([]time.Duration, b.N)
	done := make(chan struct{})
	go func() {
		for i := range ch {
			lat[i] = time.Since(sent[i])
			if i == b.N-1 {
				close(done)
			}
		}
	}()
	defer close(ch)
	paced(b, sent, lat, done, func(i int) { ch <- i })
}

// paced calls put(i) for i in [0, b.N) at 100k calls per second (busy-waiting
// on the clock between calls), recording each call's start in sent[i], waits
// for done, then reports the percentiles of the latencies the receiver wrote
// into lat.
func paced(b *testing.B, sent []time.Time, lat []time.Duration, done <-chan struct{}, put func(i int)) {
	const rate = 100_000
	b.ResetTimer()
	start := time.Now()
	gap := time.Second / rate
	for i := range b.N {
		next := start.Add(time.Duration(i) * gap)
		for time.Now().Before(next) {
		}
		sent[i] = time.Now()
		put(i)
	}
	<-done
	b.StopTimer()
	reportLatency(b, lat)
}

// reportLatency reports the percentiles of lat (p50-ns, p99-ns, p999-ns).
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) }
	b.ReportMetric(pct(0.50), "p50-ns")
	b.ReportMetric(pct(0.99), "p99-ns")
	b.ReportMetric(pct(0.999), "p999-ns")
}

// BenchmarkRouteCached is the cost of finding the hooks of a cached topic
// that is not the previous message's.
func BenchmarkRouteCached(b *testing.B) {
	e := MustNew()
	topics := []topic.Topic{topic.MustParse("R.a"), topic.MustParse("R.b")}
	e.RegisterFunc(topic.MustParse("R.{x}"), func(event.Message) {})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if len(e.route(topics[i&1])) != 1 {
			b.Fatal("route")
		}
	}
}

// BenchmarkDeliver is the loop's cost per message without a cache miss:
// one goroutine puts 64 messages, then delivers them as the loop does
// (take from the queue, rebuild the message, route, trigger a trivial
// handler). BenchmarkPutConsume is the same without delivering, so the
// difference is what dispatch costs.
func BenchmarkDeliver(b *testing.B) { benchLocal(b, true) }

// BenchmarkPutConsume: see BenchmarkDeliver.
func BenchmarkPutConsume(b *testing.B) { benchLocal(b, false) }

func benchLocal(b *testing.B, deliver bool) {
	e := MustNew()
	tp := topic.MustParse("Bench.Exact")
	c := newCounter(-1)
	if _, err := e.RegisterHandler(tp, c); err != nil {
		b.Fatal(err)
	}
	args := []any{1, 2.5}
	fn := func(*item, uint64) bool { return true }
	if deliver {
		fn = e.deliver
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := e.TryPut(tp, args...); err != nil {
			b.Fatal(err)
		}
		if i%64 == 63 {
			if n, _ := e.q.TryConsume(64, fn); n != 64 {
				b.Fatalf("took %d of 64", n)
			}
		}
	}
	if deliver && c.n == 0 {
		b.Fatal("nothing delivered")
	}
}

// BenchmarkArgsOf compares argsOf with unsafe.Slice, the form log/slog
// uses, over 1000 rebuilds of a message's Args: see argsOf.
func BenchmarkArgsOf(b *testing.B) {
	a := []any{1, 2}
	p, n := unsafe.Pointer(unsafe.SliceData(a)), uint64(len(a))
	var sink []any
	b.Run("header", func(b *testing.B) {
		for b.Loop() {
			for range 1000 {
				sink = argsOf(p, n)
			}
		}
	})
	b.Run("unsafe.Slice", func(b *testing.B) {
		for b.Loop() {
			for range 1000 {
				sink = unsafe.Slice((*any)(p), int(n))
			}
		}
	})
	if len(sink) != 2 {
		b.Fatal(sink)
	}
}

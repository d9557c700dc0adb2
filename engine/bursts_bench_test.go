package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/queue"
	"github.com/eventengine/eventengine/topic"
)

// BenchmarkEngineBursts publishes as the demo's feed does at its default
// rate: bursts of 16 messages from a goroutine woken by a 100 us ticker (the
// producer sleeps between bursts, as one fed by a network or a timer does),
// and reports the
// publish -> handler latency percentiles, with the loop's adaptive idle spin
// (WithIdleSpin, the default) and without it (the loop parks between bursts
// and each burst's first message pays a wake-up).
func BenchmarkEngineBursts(b *testing.B) {
	for _, spin := range []time.Duration{queue.DefaultIdleSpin, 0} {
		b.Run(fmt.Sprintf("idlespin=%v", spin), func(b *testing.B) {
			e, err := New(WithIdleSpin(spin))
			if err != nil {
				b.Fatal(err)
			}
			tp := topic.MustParse("Bench.Bursts")
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
			const burst = 16
			tick := time.NewTicker(100 * time.Microsecond)
			defer tick.Stop()
			b.ResetTimer()
			for i := range b.N {
				if i%burst == 0 {
					<-tick.C
				}
				sent[i] = time.Now()
				if err := e.Put(tp); err != nil {
					b.Fatal(err)
				}
			}
			<-done
			b.StopTimer()
			reportLatency(b, lat)
		})
	}
}

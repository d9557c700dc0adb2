// Package scenario runs the benchmark scenarios shared by `eventengine bench`
// and the peer benchmark module: the same workload for every system, with
// every delivery counted, so a system that loses a message fails the run.
package scenario

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Scenario is one workload.
type Scenario struct {
	Name        string
	Producers   int  // publishing goroutines
	Subscribers int  // subscribers that each receive every message
	Wildcard    bool // subscribe with a wildcard (a Market.{kind}.{symbol} style subscription)
	NonMatching int  // wildcard subscriptions that match nothing, registered as well
	PacedRate   int  // > 0: publish at this many messages per second and measure latency
	// Messages is the number of messages of the run, set by Run before
	// Open, for systems that carry a sequence number and look the message
	// up on the other side.
	Messages int64
}

// Standard returns the scenarios of the benchmark, in order.
func Standard() []Scenario {
	return []Scenario{
		{Name: "1 producer → 1 subscriber", Producers: 1, Subscribers: 1},
		{Name: "4 producers → 1 subscriber", Producers: 4, Subscribers: 1},
		{Name: "1 producer → 10 subscribers", Producers: 1, Subscribers: 10},
		{Name: "wildcard, 1,000 non-matching", Producers: 1, Subscribers: 1, Wildcard: true, NonMatching: 1000},
		{Name: "latency at 100k msgs/s", Producers: 1, Subscribers: 1, PacedRate: 100_000},
	}
}

// Msg is the payload every system carries: a pointer to it, so that no
// system pays for boxing a value. The harness allocates all messages before
// the run.
type Msg struct {
	Seq  int64 // 0..n-1
	Sent int64 // Now() at publish
}

// Deliver is called by a system for every message a subscriber receives;
// sub is the subscriber (0..Subscribers-1).
type Deliver func(sub int, m *Msg)

// System is one event system under test.
type System interface {
	// Name is the system's name in the results.
	Name() string
	// Supports reports whether the system can run s faithfully, and if not
	// why (the result then says n/a).
	Supports(s Scenario) (bool, string)
	// Open builds the pipeline of s: subscribers that call deliver.
	Open(s Scenario, deliver Deliver) (Pipe, error)
}

// Pipe is an opened pipeline.
type Pipe interface {
	// Publish sends m from producer p (blocking while full).
	Publish(p int, m *Msg) error
	// Close releases the pipeline; it is called after every delivery arrived.
	Close() error
}

// Result is the outcome of one system on one scenario.
type Result struct {
	System      string  `json:"system"`
	Scenario    string  `json:"scenario"`
	NA          string  `json:"na,omitempty"` // why the system cannot run it
	Messages    int64   `json:"messages"`
	Delivered   int64   `json:"delivered"`
	Seconds     float64 `json:"seconds"`
	MsgsPerSec  float64 `json:"msgs_per_sec"`
	AllocsPerOp float64 `json:"allocs_per_msg"`
	P50         float64 `json:"p50_ns,omitempty"`
	P99         float64 `json:"p99_ns,omitempty"`
	P999        float64 `json:"p999_ns,omitempty"`
	Error       string  `json:"error,omitempty"`
	// LineRoundTrip is LineRoundTrip measured just before the run (ns):
	// where the machine had put the two threads then.
	LineRoundTrip float64 `json:"line_round_trip_ns,omitempty"`
}

// ErrLost is returned when a system delivered fewer or more messages than
// it was given.
var ErrLost = errors.New("messages lost or duplicated")

var epoch = time.Now()

// Now is the clock the scenarios use for latency: monotonic nanoseconds.
func Now() int64 { return int64(time.Since(epoch)) }

type counter struct {
	n atomic.Int64
	_ [56]byte
}

// Run runs scenario s with n messages on sys. timeout bounds the wait for
// deliveries; a shortfall is an ErrLost error in the result.
func Run(sys System, s Scenario, n int64, timeout time.Duration) Result {
	r := Result{System: sys.Name(), Scenario: s.Name, Messages: n}
	s.Messages = n
	if ok, why := sys.Supports(s); !ok {
		r.NA = why
		return r
	}
	want := n * int64(s.Subscribers)
	counts := make([]counter, s.Subscribers)
	var total atomic.Int64
	done := make(chan struct{})
	var lat []int64
	if s.PacedRate > 0 {
		lat = make([]int64, n)
	}
	msgs := make([]Msg, n)
	r.LineRoundTrip = LineRoundTrip()
	deliver := func(sub int, m *Msg) {
		counts[sub].n.Add(1)
		if lat != nil && sub == 0 {
			lat[m.Seq] = Now() - m.Sent
		}
		if total.Add(1) == want {
			close(done)
		}
	}
	pipe, err := sys.Open(s, deliver)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	var wg sync.WaitGroup
	var pubErr atomic.Value
	for p := range s.Producers {
		share := n / int64(s.Producers)
		first := int64(p) * share
		if p == s.Producers-1 {
			share = n - first
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			gap := int64(0)
			if s.PacedRate > 0 {
				gap = int64(time.Second) / int64(s.PacedRate)
			}
			t0 := Now()
			for i := range share {
				if gap > 0 {
					for Now() < t0+i*gap {
					}
				}
				m := &msgs[first+i]
				m.Seq, m.Sent = first+i, Now()
				if err := pipe.Publish(p, m); err != nil {
					pubErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-done:
	case <-time.After(timeout):
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&m1)
	closeErr := pipe.Close()
	r.Delivered = total.Load()
	r.Seconds = elapsed.Seconds()
	r.MsgsPerSec = float64(n) / elapsed.Seconds()
	r.AllocsPerOp = float64(m1.Mallocs-m0.Mallocs) / float64(n)
	switch {
	case pubErr.Load() != nil:
		r.Error = fmt.Sprint("publish: ", pubErr.Load())
	case r.Delivered != want:
		r.Error = fmt.Sprintf("%v: %d deliveries, want %d", ErrLost, r.Delivered, want)
	case closeErr != nil:
		r.Error = "close: " + closeErr.Error()
	}
	if lat != nil && r.Error == "" {
		slices.Sort(lat)
		pct := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) }
		r.P50, r.P99, r.P999 = pct(0.50), pct(0.99), pct(0.999)
	}
	return r
}

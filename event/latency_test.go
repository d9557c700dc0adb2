package event

import (
	"bytes"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/eventengine/eventengine/topic"
)

func TestBuckets(t *testing.T) {
	// Every duration falls in the bucket whose bounds hold it, and bounds
	// grow by at most a factor 5/4 (log-linear, four per power of two).
	for _, d := range []int64{0, 1, 31, 32, 33, 39, 40, 47, 48, 63, 64, 100, 1000, 12345, 1 << 20, 1<<37 - 1, 1 << 37, 1 << 40, math.MaxInt64} {
		i := bucketOf(d)
		lo := int64(0)
		if i > 0 {
			lo = bucketBound(i - 1)
		}
		if d < lo || (d >= bucketBound(i) && i < nBuckets-1) {
			t.Fatalf("d=%d in bucket %d [%d, %d)", d, i, lo, bucketBound(i))
		}
	}
	for i := 2; i < nBuckets-1; i++ {
		if r := float64(bucketBound(i)) / float64(bucketBound(i-1)); r <= 1 || r > 1.25 {
			t.Fatalf("bounds %d/%d ratio %v", i, i-1, r)
		}
	}
}

// work keeps a handler busy for some ticks, so that no call takes 0.
func work() int {
	n := 0
	for i := range 2000 {
		n += i * i
	}
	return n
}

var latencySink int

func TestLatencyStats(t *testing.T) {
	var buf bytes.Buffer
	h := NewHook(topic.MustParse("Ticks"), WithSlowHandler(time.Nanosecond), WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
	if !h.HasStats() {
		t.Fatal("WithSlowHandler makes an extended hook")
	}
	id := h.AddFunc(func(Message) { latencySink += work() })
	before := time.Now()
	for range 50 {
		h.Trigger(Message{})
	}
	after := time.Now()
	s, _ := h.Stats(id)
	var n uint64
	for i, b := range s.Buckets {
		n += b.Count
		if i > 0 && b.UpperBound <= s.Buckets[i-1].UpperBound {
			t.Fatalf("bounds not increasing: %v", s.Buckets)
		}
	}
	if n != 50 || s.Calls != 50 || s.Slow != 50 {
		t.Fatalf("histogram %d, calls %d, slow %d", n, s.Calls, s.Slow)
	}
	if s.Max <= 0 || s.Max > s.Total || s.Buckets[len(s.Buckets)-1].Count == 0 {
		t.Fatalf("max %v total %v", s.Max, s.Total)
	}
	// The times come from the tick counter, anchored once: allow for a
	// little disagreement with the wall clock.
	slack := 100 * time.Millisecond
	if s.LastStart.After(s.LastEnd) || s.LastStart.Before(before.Add(-slack)) || s.LastEnd.After(after.Add(slack)) {
		t.Fatalf("last call %v - %v, outside %v - %v", s.LastStart, s.LastEnd, before, after)
	}
	// One warning for 50 slow calls: rate-limited.
	if got := strings.Count(buf.String(), "slow handler"); got != 1 || !strings.Contains(buf.String(), `"handler":"event.TestLatencyStats.func1"`) {
		t.Fatalf("%d warnings:\n%s", got, buf.String())
	}
}

// A plain hook keeps no latency record, and an extended one without a
// threshold never warns.
func TestLatencyOff(t *testing.T) {
	plain := NewHook(testTopic)
	id := plain.AddFunc(func(Message) {})
	plain.Trigger(Message{})
	if s, _ := plain.Stats(id); s.Buckets != nil || !s.LastStart.IsZero() || s.Max != 0 {
		t.Fatalf("plain hook: %+v", s)
	}
	for _, e := range plain.list() {
		if e.lat != nil {
			t.Fatal("plain hook has a latency record")
		}
	}
	var buf bytes.Buffer
	timed := NewHook(testTopic, WithStats(), WithSlowHandler(0), WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
	id = timed.AddFunc(func(Message) { latencySink += work() })
	timed.Trigger(Message{})
	if s, _ := timed.Stats(id); s.Slow != 0 || buf.Len() != 0 || len(s.Buckets) == 0 {
		t.Fatalf("no threshold: %+v %s", s, buf.String())
	}
}

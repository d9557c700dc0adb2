package event

import (
	"log/slog"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventengine/eventengine/internal/ticks"
)

// Latency of the handlers of an extended hook: per registration the
// start and end of its last call, its longest call and a log-linear
// histogram of its calls, kept in clock ticks on the trigger's goroutine
// (a bucket index is a bits.Len64 and a shift; no conversion per call)
// and converted to durations when the statistics are read. A plain hook
// has none of it and pays nothing.

// The histogram has subBuckets buckets per power of two of ticks
// (bounds about 19 % apart), from 2^minExp ticks (a few ns) to
// 2^(minExp+octaves) ticks (over a minute at 2-4 GHz), plus one bucket
// below and one above.
const (
	subBits    = 2
	subBuckets = 1 << subBits
	minExp     = 5
	octaves    = 33
	nBuckets   = 1 + octaves*subBuckets + 1
)

// latency is the latency record of one registration of an extended hook.
type latency struct {
	lastStart, lastEnd atomic.Int64 // ticks of the last call; 0 before the first
	max                atomic.Int64 // ticks of the longest call
	slow               atomic.Uint64
	lastWarn           atomic.Int64 // ticks of the last slow-call warning
	buckets            [nBuckets]atomic.Uint64
}

// bucketOf returns the histogram bucket of a call of d ticks.
func bucketOf(d int64) int {
	u := uint64(d)
	if u < 1<<minExp {
		return 0
	}
	e := bits.Len64(u) - 1 // 2^e <= u < 2^(e+1)
	sub := int(u>>(e-subBits)) & (subBuckets - 1)
	i := 1 + (e-minExp)*subBuckets + sub
	return min(i, nBuckets-1)
}

// bucketBound returns the upper bound, in ticks, of bucket i (exclusive);
// math.MaxInt64 for the last.
func bucketBound(i int) int64 {
	if i == 0 {
		return 1 << minExp
	}
	if i >= nBuckets-1 {
		return math.MaxInt64
	}
	e := (i-1)/subBuckets + minExp
	sub := (i - 1) % subBuckets
	return int64(subBuckets+sub+1) << (e - subBits)
}

// record adds a call from t0 to t1 (ticks, d = t1-t0 clamped at 0) to l,
// and warns through h if it was slow.
func (l *latency) record(h *Hook, e *entry, t0, t1, d int64) {
	l.lastStart.Store(t0)
	l.lastEnd.Store(t1)
	if d > l.max.Load() {
		l.raiseMax(d)
	}
	l.buckets[bucketOf(d)].Add(1)
	if h.slowTicks > 0 && d >= h.slowTicks {
		h.slowCall(l, e, t1, d)
	}
}

func (l *latency) raiseMax(d int64) {
	for {
		cur := l.max.Load()
		if d <= cur || l.max.CompareAndSwap(cur, d) {
			return
		}
	}
}

// slowWarnEvery is the least time between two slow-call warnings of one
// registration: a handler that is always slow logs once a minute, with the
// number of slow calls since the last warning, not once per call.
const slowWarnEvery = time.Minute

// slowCall counts a call of e that took d ticks, at least the hook's
// slow threshold, and warns if the last warning of e is old enough.
func (h *Hook) slowCall(l *latency, e *entry, t1, d int64) {
	n := l.slow.Add(1)
	last := l.lastWarn.Load()
	if last != 0 && t1-last < h.warnTicks {
		return
	}
	if !l.lastWarn.CompareAndSwap(last, t1) {
		return // another trigger warns
	}
	h.Logger().Warn("eventengine: slow handler: every topic behind it waits",
		slog.String("hook", h.topic.String()),
		slog.Uint64("handler_id", uint64(e.id)),
		slog.String("handler", e.name),
		slog.Duration("took", time.Duration(ticks.TicksToNanos(d))),
		slog.Duration("threshold", h.slow),
		slog.Uint64("slow_calls", n))
}

// nanosToTicks converts a duration to clock ticks, for thresholds.
func nanosToTicks(d time.Duration) int64 {
	const span = 1 << 30
	perSpan := ticks.TicksToNanos(span) // nanoseconds per 2^30 ticks
	if perSpan <= 0 {
		return int64(d)
	}
	return max(1, int64(float64(d)*span/float64(perSpan)))
}

// Bucket is one bucket of a handler's latency histogram (Stats.Buckets):
// the calls that took less than UpperBound and at least the previous
// bucket's UpperBound (0 for the first). The last bucket's UpperBound is
// the largest time.Duration. Counts are per bucket, not cumulative.
type Bucket struct {
	UpperBound time.Duration
	Count      uint64
}

// tickTime converts a tick reading to a wall-clock time, through a
// reading of both taken the first time it is called (after ticks.Init,
// which the first extended hook calls: before it, Ticks may read another
// counter).
func tickTime(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	anchor.once.Do(func() {
		anchor.ticks = ticks.Ticks()
		anchor.wall = time.Now().Round(0) // wall clock only: Stats times print plainly
	})
	return anchor.wall.Add(time.Duration(ticks.TicksToNanos(t - anchor.ticks)))
}

var anchor struct {
	once  sync.Once
	ticks int64
	wall  time.Time
}

// fill adds l's figures to s.
func (l *latency) fill(s *Stats) {
	s.LastStart = tickTime(l.lastStart.Load())
	s.LastEnd = tickTime(l.lastEnd.Load())
	s.Max = time.Duration(ticks.TicksToNanos(l.max.Load()))
	s.Slow = l.slow.Load()
	last := -1
	var counts [nBuckets]uint64
	for i := range l.buckets {
		if counts[i] = l.buckets[i].Load(); counts[i] != 0 {
			last = i
		}
	}
	if last < 0 {
		return
	}
	s.Buckets = make([]Bucket, last+1)
	for i := range s.Buckets {
		b := bucketBound(i)
		ub := time.Duration(math.MaxInt64)
		if b != math.MaxInt64 {
			ub = time.Duration(ticks.TicksToNanos(b))
		}
		s.Buckets[i] = Bucket{UpperBound: ub, Count: counts[i]}
	}
}

// WithSlowHandler makes an extended hook (as WithStats) that also warns,
// through its logger, of a handler call that took d or longer: one slow
// handler stalls every message behind it, so it has to be visible. The
// warnings of one registration are at most one a minute and carry the
// number of slow calls so far, which Stats.Slow also counts. d <= 0
// leaves the hook without warnings.
func WithSlowHandler(d time.Duration) Option {
	return func(c *hookConfig) {
		if d > 0 {
			c.stats = true
			c.slow = d
		}
	}
}

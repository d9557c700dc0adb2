package event

import (
	"iter"
	"time"

	"github.com/eventengine/eventengine/internal/ticks"
)

// Stats are the statistics of one registration (the reference's
// HandlerStats) or, from Totals, of the whole hook.
type Stats struct {
	ID     ID            // the registration (0 in Totals)
	Name   string        // the handler's name (see HandlerName; "" in Totals)
	Calls  uint64        // calls that returned or panicked (extended hooks only)
	Panics uint64        // recovered panics (every hook)
	Errors uint64        // errors returned by the handler (every hook; see Hook.AddErrorFunc)
	Total  time.Duration // time spent in the handler (extended hooks only)

	// Latency of one registration of an extended hook (zero in Totals and
	// for a plain hook): the start and end of its last call (the
	// reference's last_call_start and last_call_complete; zero before the
	// first), its longest call, its calls that took at least the hook's
	// slow threshold (WithSlowHandler), and the histogram of its calls:
	// log-linear buckets (four per power of two of the tick counter, so
	// bounds about 19 % apart) in increasing order, up to the last
	// non-empty one; nil before the first call.
	LastStart time.Time
	LastEnd   time.Time
	Max       time.Duration
	Slow      uint64
	Buckets   []Bucket
}

// Mean returns Total/Calls, or 0 before the first call.
func (s Stats) Mean() time.Duration {
	if s.Calls == 0 {
		return 0
	}
	return s.Total / time.Duration(s.Calls)
}

func (e *entry) stats() Stats {
	s := e.counters()
	if e.lat != nil {
		e.lat.fill(&s)
	}
	return s
}

func (e *entry) counters() Stats {
	return Stats{ID: e.id, Name: e.name, Calls: e.calls.Load(), Panics: e.panics.Load(), Errors: e.errors.Load(), Total: time.Duration(ticks.TicksToNanos(e.ticks.Load()))}
}

// Stats returns the statistics of registration id (the reference's
// get_stats); false when id is not in the hook.
func (h *Hook) Stats(id ID) (Stats, bool) {
	for _, e := range h.list() {
		if e.id == id {
			return e.stats(), true
		}
	}
	return Stats{}, false
}

// StatsOf returns the statistics of the first registration of handler
// (compared with ==); false when it is not registered or has no identity
// (see Comparable).
func (h *Hook) StatsOf(handler Handler) (Stats, bool) {
	if !Comparable(handler) {
		return Stats{}, false
	}
	l := h.list()
	if i := find(l, handler); i >= 0 {
		return l[i].stats(), true
	}
	return Stats{}, false
}

// AllStats iterates (handler, statistics) pairs in registration order (the
// reference's stats), over the snapshot taken when the iteration starts.
// Stats.ID tells apart two registrations of one handler.
func (h *Hook) AllStats() iter.Seq2[Handler, Stats] {
	return func(yield func(Handler, Stats) bool) {
		for _, e := range h.list() {
			if !yield(e.h, e.stats()) {
				return
			}
		}
	}
}

// Totals returns the hook's lifetime totals, kept in hook-level counters:
// the calls, time and panics of all its handlers, including handlers
// removed since. Panics are counted by every hook, calls and time only by
// an extended hook; a trigger adds its calls and time when it ends, so a
// trigger under way is not yet included.
func (h *Hook) Totals() Stats {
	return Stats{Calls: h.calls.Load(), Panics: h.panics.Load(), Errors: h.errors.Load(), Total: time.Duration(ticks.TicksToNanos(h.ticks.Load()))}
}

package event

import (
	"fmt"
	"log/slog"
	"sync/atomic"
)

// storm is the logging state of one kind of failure (panics, returned
// errors) of one registration, under a hook's panicLog policy: the first
// detail failures are logged in full, then at most one summary per every.
type storm struct {
	logged      atomic.Uint64 // the failures accounted for in records so far
	nextSummary atomic.Int64  // the time (panicLog.now) before which no summary is written
	checkAt     atomic.Uint64 // the failure count at which to read the clock again
	stride      atomic.Uint64
}

// What a failure's record is (see panicLog.decide).
const (
	logNothing    = iota
	logDetail     // a record in full
	logLastDetail // the last record in full: say that summaries follow
	logSummary    // a summary of the failures since the last record
)

// decide says how to log the n-th failure that s counts, and for a
// summary the failures since the last record.
//
// In a storm the clock is read at failures 1, 2, 4, ... up to every
// maxStride-th failure after the last summary, not at each: reading it
// cost a tenth of a panic's recovery (BenchmarkTriggerPanicking). A
// summary is then late by at most maxStride failures.
func (p *panicLog) decide(s *storm, n uint64) (what int, since uint64) {
	if n <= p.detail {
		s.logged.Store(n)
		if n == p.detail {
			s.nextSummary.Store(p.now() + int64(p.every))
			return logLastDetail, 0
		}
		return logDetail, 0
	}
	if n < s.checkAt.Load() {
		return logNothing, 0
	}
	now := p.now()
	next := s.nextSummary.Load()
	if now < next {
		stride := min(2*s.stride.Load()+1, maxStride)
		s.stride.Store(stride)
		s.checkAt.Store(n + stride)
		return logNothing, 0
	}
	if !s.nextSummary.CompareAndSwap(next, now+int64(p.every)) {
		return logNothing, 0
	}
	s.stride.Store(0)
	s.checkAt.Store(0)
	return logSummary, n - s.logged.Swap(n)
}

// policy returns the hook's panic log policy (the default for the zero
// Hook).
func (h *Hook) policy() *panicLog {
	if h.plog.every == 0 {
		return &defaultPanicLog
	}
	return &h.plog
}

// failure names one kind of failure in log records.
type failure struct {
	record, summary string // the messages of a full record and of a summary
	one, many       string // the attribute keys of one failure and of a count
}

var (
	panicFailure = failure{"eventengine: handler panicked", "eventengine: handler panics, summarised", "panic", "panics"}
	errorFailure = failure{"eventengine: handler failed", "eventengine: handler errors, summarised", "error", "errors"}
)

// logFailure logs the n-th failure of kind k (its value, a panic value or
// an error) of registration e, which s counts, in a call with m, under
// the hook's policy; more adds attributes to a full record (the stack).
func (h *Hook) logFailure(k *failure, s *storm, n uint64, e *entry, m *Message, value any, more func() []any) {
	p := h.policy()
	what, since := p.decide(s, n)
	switch what {
	case logDetail, logLastDetail:
		attrs := []any{
			slog.String("topic", m.Topic.String()),
			slog.String("hook", h.topic.String()),
			slog.Uint64("seq", m.Seq),
			slog.Uint64("handler_id", uint64(e.id)),
			slog.String("handler", e.name),
			slog.Any(k.one, value),
		}
		if more != nil {
			attrs = append(attrs, more()...)
		}
		if what == logLastDetail {
			attrs = append(attrs, slog.String("next", fmt.Sprintf("further %s of this handler are summarised at most every %v", k.many, p.every)))
		}
		h.Logger().Error(k.record, attrs...)
	case logSummary:
		h.Logger().Error(k.summary,
			slog.String("topic", m.Topic.String()),
			slog.String("hook", h.topic.String()),
			slog.Uint64("handler_id", uint64(e.id)),
			slog.String("handler", e.name),
			slog.Uint64(k.many, since),
			slog.Uint64(k.many+"_total", n),
			slog.Uint64("last_seq", m.Seq),
			slog.Any("last_"+k.one, value))
	}
}

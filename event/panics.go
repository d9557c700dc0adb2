package event

import (
	"bytes"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/eventengine/eventengine/clock"
	"github.com/eventengine/eventengine/internal/ticks"
)

// How a hook logs its handlers' panics by default (see WithPanicLog): the
// first DefaultPanicDetail panics of each registration in full, then at
// most one summary record per registration every DefaultPanicSummary.
// A registration that panics on every message so writes a few records of
// some kilobytes (its stack) and then six short records a minute.
const (
	DefaultPanicDetail  = 5
	DefaultPanicSummary = 10 * time.Second
)

// maxStride is the most panics of a registration between two readings of
// the clock (see recovered).
const maxStride = 1024

var defaultPanicLog = panicLog{detail: DefaultPanicDetail, every: DefaultPanicSummary}

// panicLog is a hook's panic-logging policy.
type panicLog struct {
	detail uint64        // panics of a registration logged in full
	every  time.Duration // the least time between two summaries of one registration
	clock  clock.Clock   // reads the time of summaries
}

// WithPanicLog sets how the hook logs its handlers' panics. Every panic is
// counted (Panics, Stats). The first detail panics of each registration
// are logged in full, at Error level: topic, hook, sequence id, handler ID
// and type, the panic value and the stack from the frame that panicked.
// After those, a registration's panics are summarised: the first panic at
// least every after the registration's last record writes one record with
// the panics since that record, the total and the last value (and no
// stack); the others write nothing. Summaries need no goroutine or timer,
// so the panics of a storm that has ended since its last record are in
// the counters only. A negative detail counts as 0 (summaries only); an
// every below a millisecond counts as a millisecond. The errors that
// handlers return (AddErrorFunc) are logged under the same policy,
// counted apart from the panics.
func WithPanicLog(detail int, every time.Duration) Option {
	return func(c *hookConfig) {
		c.panics.detail = uint64(max(detail, 0))
		c.panics.every = max(every, time.Millisecond)
	}
}

// WithClock sets the clock a hook reads the time of panic summaries from
// (default clock.Real); tests pass a clock.Fake. A nil clk means the
// default.
func WithClock(clk clock.Clock) Option {
	return func(c *hookConfig) { c.panics.clock = clk }
}

// recovered counts and logs the panic r of registration e, following the
// hook's panic log policy (see WithPanicLog).
func (h *Hook) recovered(e *entry, m *Message, r any) {
	n := e.panics.Add(1)
	h.panics.Add(1)
	h.logFailure(&panicFailure, &e.panicLog, n, e, m, r, func() []any {
		return []any{slog.String("stack", panicStack())}
	})
}

// now reads the policy's clock in nanoseconds: by default the monotonic
// clock, which costs half of time.Now (a panic storm reads it once a
// panic: BenchmarkEngine1P1CPanicking).
func (p *panicLog) now() int64 {
	if p.clock == nil {
		return ticks.Nanotime()
	}
	return p.clock.Now().UnixNano()
}

// panicStack returns the stack of the calling goroutine, which is
// recovering a panic, from the frame that panicked: the goroutine's header
// line, then the frames below the runtime's panic (and its runtime frames,
// such as sigpanic for a nil dereference). The frames of the hook's own
// recovery are left out. If the stack has no panic frame it is returned
// whole.
func panicStack() string {
	b := debug.Stack()
	i := bytes.Index(b, []byte("\npanic("))
	if i < 0 {
		return string(b)
	}
	header := b[:bytes.IndexByte(b, '\n')+1]
	rest := b[i+1:]
	// Frames are pairs of lines: the call, then its file and line.
	for first := true; first || bytes.HasPrefix(rest, []byte("runtime.")); first = false {
		for range 2 {
			j := bytes.IndexByte(rest, '\n')
			if j < 0 {
				return string(b)
			}
			rest = rest[j+1:]
		}
	}
	return string(header) + string(rest)
}

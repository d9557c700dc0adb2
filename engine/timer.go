package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/eventengine/eventengine/topic"
)

// Timer topics.
const (
	// TimerPrefix is the topic prefix of every timer.
	TimerPrefix = "EventEngine.Internal.Timer"
)

var (
	// SecondTimer is the topic of the 1-second timer, aligned to the second.
	SecondTimer = topic.MustParse(TimerPrefix + ".Second")
	// MinuteTimer is the topic of the 1-minute timer, aligned to the minute.
	MinuteTimer = topic.MustParse(TimerPrefix + ".Minute")
)

// ErrInterval is returned for a timer interval that is not positive.
var ErrInterval = errors.New("timer interval must be positive")

// timerSpec is one requested timer; it outlives stops and restarts.
type timerSpec struct {
	interval time.Duration
	first    time.Time // the schedule's anchor (zero for aligned timers)
	topic    topic.Topic
	aligned  bool // the 1-second and 1-minute timers
	// last is the last tick the timer published or had refused. Only the
	// spec's goroutine uses it, and one run of a spec ends (timers.wait)
	// before the next starts.
	last time.Time
}

// timers holds the engine's timers and runs one goroutine per timer while
// the loop runs.
type timers struct {
	mu    sync.Mutex
	specs map[time.Duration]*timerSpec
	ctx   context.Context // of the running loop; nil while stopped
	e     *Engine
	wg    sync.WaitGroup
}

// start launches every timer; called by begin under e.mu.
func (ts *timers) start(e *Engine, ctx context.Context) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.e, ts.ctx = e, ctx
	for _, s := range ts.specs {
		ts.launch(s)
	}
}

// launch runs s in its own goroutine; the caller holds ts.mu.
func (ts *timers) launch(s *timerSpec) {
	if ts.ctx == nil || ts.ctx.Err() != nil {
		return // stopping: the next start launches it
	}
	ts.wg.Add(1)
	go ts.run(ts.ctx, s)
}

// wait returns once every timer goroutine has exited; called by end after
// the loop's context was cancelled.
func (ts *timers) wait() {
	ts.mu.Lock()
	ts.ctx = nil
	ts.mu.Unlock()
	ts.wg.Wait()
}

func (ts *timers) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.specs)
}

// Timer returns the topic of a timer that publishes every interval, starting
// it if needed (the reference's get_timer). The engine must be running
// (ErrNotRunning otherwise); the timer then runs while the engine runs,
// stops with it and starts again with it. Asking again for the same
// interval returns the same topic and starts nothing.
//
// The 1-second and 1-minute timers (SecondTimer, MinuteTimer) fire on the
// second and on the minute of the wall clock and publish the keyword
// arguments "interval" (time.Duration) and "timestamp" (the aligned
// time.Time). Every other interval has the topic
// EventEngine.Internal.Timer.<interval>, with the interval written in the
// largest of the units h, m, s, ms, us and ns that divides it exactly (so
// the topic part holds no dot: 250ms, 1500ms, 90s, 2m, 3h), fires first one
// interval after it is created, and publishes "interval" and "trigger_time"
// (the scheduled time.Time).
//
// Ticks are scheduled on absolute times (first + k*interval, never
// now + interval), so they do not drift, and a timer keeps its schedule
// across Stop and Start. Missed ticks are skipped, never fired in a burst:
// after a stall (a suspended process, a slow clock wake-up) the timer
// publishes one tick standing for the latest scheduled time that is due; a
// tick blocked on a full queue is published once there is room, with the
// time it stands for, and the timer then waits for the first scheduled time
// after now. Every message carries the scheduled time it stands for.
//
// A timer publishes with the loop's context, so Stop ends it promptly even
// while it waits on a full queue. After Shutdown its ticks are refused
// (ErrClosed) and dropped silently; other publish errors are logged.
func (e *Engine) Timer(interval time.Duration) (topic.Topic, error) {
	return e.TimerAt(interval, time.Time{})
}

// TimerAt is Timer with a first activation time: the timer fires at first
// and every interval after it. If first is in the past, it fires at the
// first first+k*interval that is not. The aligned 1-second and 1-minute
// timers ignore first, and so does a timer that already exists.
func (e *Engine) TimerAt(interval time.Duration, first time.Time) (topic.Topic, error) {
	if interval <= 0 {
		return topic.Topic{}, fmt.Errorf("timer %v: %w", interval, ErrInterval)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.running || e.stopping.Load() {
		return topic.Topic{}, fmt.Errorf("timer %v: %w", interval, ErrNotRunning)
	}
	ts := &e.timers
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if s, ok := ts.specs[interval]; ok {
		return s.topic, nil
	}
	s := &timerSpec{interval: interval, first: first}
	switch interval {
	case time.Second:
		s.topic, s.aligned, s.first = SecondTimer, true, time.Time{}
	case time.Minute:
		s.topic, s.aligned, s.first = MinuteTimer, true, time.Time{}
	default:
		t, err := topic.Parse(TimerPrefix + "." + IntervalName(interval))
		if err != nil {
			return topic.Topic{}, err
		}
		s.topic = t
		if s.first.IsZero() {
			// Anchor the schedule now, so that it survives Stop and Start.
			s.first = e.cfg.clock.Now().Add(interval)
		}
	}
	if ts.specs == nil {
		ts.specs = make(map[time.Duration]*timerSpec)
	}
	ts.specs[interval] = s
	ts.launch(s)
	return s.topic, nil
}

// IntervalName writes d in the largest of the units h, m, s, ms, us and ns
// that divides it exactly: 250ms, 1500ms, 90s, 2m, 3h. It is the last part
// of a timer's topic.
func IntervalName(d time.Duration) string {
	units := []struct {
		d    time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}, {time.Microsecond, "us"}, {time.Nanosecond, "ns"}}
	for _, u := range units {
		if d%u.d == 0 {
			return fmt.Sprintf("%d%s", d/u.d, u.name)
		}
	}
	return fmt.Sprintf("%dns", d)
}

// firstTick returns the first scheduled time of s at or after now (after
// now for the aligned timers) that it has not already published.
func (s *timerSpec) firstTick(now time.Time) time.Time {
	var t time.Time
	if s.aligned || s.first.IsZero() {
		t = now.Truncate(s.interval).Add(s.interval)
	} else {
		t = catchUp(s.first, now, s.interval)
	}
	if !s.last.IsZero() && !t.After(s.last) {
		t = s.last.Add(s.interval) // restarted on the tick it published last
	}
	return t
}

// latest returns the last t + k*interval (k >= 0) not after now, or t if t
// is after now. It steps again when now.Sub(t) saturates (gaps beyond
// about 292 years), so far-away times give the right answer too.
func latest(t, now time.Time, interval time.Duration) time.Time {
	for {
		gap := now.Sub(t)
		if gap < interval {
			return t
		}
		t = t.Add(gap / interval * interval)
	}
}

// catchUp returns the first t + k*interval (k >= 0) not before now.
func catchUp(t, now time.Time, interval time.Duration) time.Time {
	if !t.Before(now) {
		return t
	}
	if t = latest(t, now, interval); t.Before(now) {
		t = t.Add(interval)
	}
	return t
}

// after returns the first t + k*interval (k >= 1) that is after now.
func after(t, now time.Time, interval time.Duration) time.Time {
	if next := t.Add(interval); next.After(now) {
		return next
	}
	return latest(t, now, interval).Add(interval)
}

// run publishes s's ticks until ctx ends. It waits on a fresh clock.Timer
// for each tick and holds no lock while it waits or publishes.
func (ts *timers) run(ctx context.Context, s *timerSpec) {
	defer ts.wg.Done()
	e := ts.e
	clk := e.cfg.clock
	key := "trigger_time"
	if s.aligned {
		key = "timestamp"
	}
	next := s.firstTick(clk.Now())
	for {
		// Wait until next is due. The clock may wake the timer before it is
		// (a wait longer than a time.Duration spans, a wall clock set back),
		// so the time is read again after each wait.
		for d := next.Sub(clk.Now()); d > 0; d = next.Sub(clk.Now()) {
			t := clk.NewTimer(d)
			select {
			case <-t.C():
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
		// Woken late (a stall): stand for the latest scheduled time that is
		// due and skip the ones before it.
		next = latest(next, clk.Now(), s.interval)
		// The published time is a plain wall-clock time (no monotonic
		// reading), which prints and compares as users expect.
		err := e.Publish(ctx, s.topic, nil, map[string]any{"interval": s.interval, key: next.Round(0)})
		if err == nil || ctx.Err() == nil {
			s.last = next // published, or refused other than by Stop
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, ErrClosed) {
			e.Logger().Warn("eventengine: timer tick not published",
				slog.String("topic", s.topic.String()), slog.Time(key, next), slog.Any("error", err))
		}
		// The next tick is the first scheduled time after now: a publish
		// that waited on a full queue past later ticks skips them rather
		// than publish them at once.
		next = after(next, clk.Now(), s.interval)
	}
}

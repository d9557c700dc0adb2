package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/eventengine/eventengine/topic"
)

// Timer topics and keyword arguments.
const (
	// TimerPrefix is the topic prefix of every timer.
	TimerPrefix = "EventEngine.Internal.Timer"

	// KwargTime is the keyword argument of every timer tick that holds
	// the scheduled time it stands for (a time.Time), whatever the
	// interval. Ticks also carry it under the reference's names:
	// KwargTimestamp for the 1-second and 1-minute timers,
	// KwargTriggerTime for the others.
	KwargTime = "time"
	// KwargInterval holds the timer's interval (a time.Duration).
	KwargInterval = "interval"
	// KwargTimestamp is the reference's name of the scheduled time of the
	// 1-second and 1-minute timers.
	KwargTimestamp = "timestamp"
	// KwargTriggerTime is the reference's name of the scheduled time of the
	// other timers.
	KwargTriggerTime = "trigger_time"
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
	// cancel ends the spec's goroutine (RemoveTimer); nil while none runs.
	cancel context.CancelFunc
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

// launch runs s in its own goroutine if the engine runs (else the next
// start launches it); the caller holds ts.mu.
func (ts *timers) launch(s *timerSpec) {
	if ts.ctx == nil || ts.ctx.Err() != nil {
		return // stopped or stopping: the next start launches it
	}
	ctx, cancel := context.WithCancel(ts.ctx)
	s.cancel = cancel
	ts.wg.Add(1)
	go ts.run(ctx, s)
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

// Timer returns the topic of a timer that publishes every interval,
// creating it if needed (the reference's get_timer). The timer runs while
// the engine runs: asked for on a stopped engine it starts with the next
// Start, and it stops with the engine and starts again with it. Asking
// again for the same interval returns the same topic and creates nothing.
// Registering a handler or hook on a timer's exact topic also creates the
// timer (see RegisterHandler); RemoveTimer and Clear remove timers.
//
// The 1-second and 1-minute timers (SecondTimer, MinuteTimer) fire on the
// second and on the minute of the wall clock. Every other interval has the
// topic EventEngine.Internal.Timer.<interval>, with the interval written in
// the largest of the units h, m, s, ms, us and ns that divides it exactly
// (so the topic part holds no dot: 250ms, 1500ms, 90s, 2m, 3h), and fires
// first one interval after it is created. Every tick carries the keyword
// arguments KwargInterval ("interval", the time.Duration) and KwargTime
// ("time", the scheduled time.Time it stands for), and the scheduled time
// again under the reference's name: "timestamp" for the 1-second and
// 1-minute timers, "trigger_time" for the others.
//
// Ticks are scheduled on absolute times (first + k*interval, never
// now + interval), so they do not drift, and a timer keeps its schedule
// across Stop and Start. Missed ticks are skipped, never fired in a burst:
// after a stall (a suspended process, a slow clock wake-up) the timer
// publishes one tick standing for the latest scheduled time that is due; a
// tick blocked on a full queue is published once there is room, with the
// time it stands for, and the timer then waits for the first scheduled time
// after now.
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
	return e.timers.ensure(interval, first)
}

// RemoveTimer removes the timer of interval, stopping it if it runs, and
// reports whether there was one. Handlers registered on its topic stay;
// asking for the timer again (or registering on its topic again) creates
// a new one, with a new schedule.
func (e *Engine) RemoveTimer(interval time.Duration) bool {
	ts := &e.timers
	ts.mu.Lock()
	defer ts.mu.Unlock()
	s, ok := ts.specs[interval]
	if !ok {
		return false
	}
	delete(ts.specs, interval)
	if s.cancel != nil {
		s.cancel()
	}
	return true
}

// ensure returns the topic of the timer of interval, creating (and, if
// the engine runs, launching) it if needed.
func (ts *timers) ensure(interval time.Duration, first time.Time) (topic.Topic, error) {
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
			s.first = ts.e.cfg.clock.Now().Add(interval)
		}
	}
	if ts.specs == nil {
		ts.specs = make(map[time.Duration]*timerSpec)
	}
	ts.specs[interval] = s
	ts.launch(s)
	return s.topic, nil
}

// clear removes every timer; the engine is stopped (see Clear).
func (ts *timers) clear() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	clear(ts.specs)
}

// registered is told of every hook registered: a hook on the exact topic
// of a timer creates that timer, so that a handler registered on
// SecondTimer without asking for the timer gets its ticks. A hook on an
// exact topic under TimerPrefix that no timer publishes on is logged as a
// warning, not ignored silently.
func (ts *timers) registered(t topic.Topic) {
	if !t.IsExact() {
		return
	}
	name, ok := strings.CutPrefix(t.String(), TimerPrefix+".")
	if !ok {
		return
	}
	var d time.Duration
	switch name {
	case "Second":
		d = time.Second
	case "Minute":
		d = time.Minute
	default:
		var err error
		if d, err = time.ParseDuration(name); err != nil || d <= 0 {
			d = 0
		}
	}
	if d > 0 {
		if tp, err := ts.ensure(d, time.Time{}); err == nil && tp == t {
			return
		}
	}
	ts.e.Logger().Warn("eventengine: a hook on a timer topic that no timer publishes on",
		slog.String("topic", t.String()), slog.String("timers", "SecondTimer, MinuteTimer, or Timer(d) for TimerPrefix."+"<IntervalName(d)>"))
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
	key := KwargTriggerTime
	if s.aligned {
		key = KwargTimestamp
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
		at := next.Round(0)
		err := e.Publish(ctx, s.topic, nil, map[string]any{KwargInterval: s.interval, KwargTime: at, key: at})
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

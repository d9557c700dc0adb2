package engine

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventengine/eventengine/clock"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

type tick struct {
	topic    topic.Topic
	interval time.Duration
	at       time.Time
}

// subscribeTicks registers a handler on tp and returns a channel of the
// ticks it receives.
func subscribeTicks(t *testing.T, e *Engine, tp topic.Topic) <-chan tick {
	t.Helper()
	ch := make(chan tick, 16)
	if _, err := e.RegisterFunc(tp, func(m event.Message) {
		iv, _ := event.Kwarg[time.Duration](m, "interval")
		at, ok := event.Kwarg[time.Time](m, "trigger_time")
		if !ok {
			at, _ = event.Kwarg[time.Time](m, "timestamp")
		}
		ch <- tick{m.Topic, iv, at}
	}); err != nil {
		t.Fatal(err)
	}
	return ch
}

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 300_000_000, time.UTC)

func TestTimerAligned(t *testing.T) {
	fc := clock.NewFake(t0)
	e := newEngine(t, WithClock(fc))
	e.Start()
	sec, err := e.Timer(time.Second)
	if err != nil || sec != SecondTimer {
		t.Fatalf("Timer(1s) = %v, %v", sec, err)
	}
	ticks := subscribeTicks(t, e, sec)
	fc.BlockUntil(1)
	fc.Advance(700 * time.Millisecond) // 12:00:01.000
	if got := <-ticks; !got.at.Equal(time.Date(2026, 11, 24, 12, 0, 1, 0, time.UTC)) || got.interval != time.Second {
		t.Fatalf("second tick %+v", got)
	}
	min, _ := e.Timer(time.Minute)
	mticks := subscribeTicks(t, e, min)
	fc.BlockUntil(2)
	fc.Set(time.Date(2026, 11, 24, 12, 1, 0, 0, time.UTC))
	if got := <-mticks; got.topic != MinuteTimer || !got.at.Equal(time.Date(2026, 11, 24, 12, 1, 0, 0, time.UTC)) {
		t.Fatalf("minute tick %+v", got)
	}
	// The second timer was 59 s late: one tick for the latest due second,
	// the ones before it skipped.
	if got := <-ticks; !got.at.Equal(time.Date(2026, 11, 24, 12, 1, 0, 0, time.UTC)) {
		t.Fatalf("overdue second tick %+v", got)
	}
	e.Stop()
	select {
	case extra := <-ticks:
		t.Fatalf("a burst of missed ticks: %+v", extra)
	default:
	}
}

// A timer asked for before Start starts with the engine; a handler
// registered on a timer's topic without asking for the timer creates it;
// a hook on a timer topic no timer publishes on is logged; Clear and
// RemoveTimer remove timers (issue 13).
func TestTimerTraps(t *testing.T) {
	fc := clock.NewFake(t0)
	var logs syncBuffer
	e := newEngine(t, WithClock(fc), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	before, err := e.Timer(250 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	ticks := subscribeTicks(t, e, before)
	secs := subscribeTicks(t, e, SecondTimer) // no Timer(time.Second)
	if e.Stats().Timers != 2 {
		t.Fatalf("timers %d, want 2", e.Stats().Timers)
	}
	if _, err := e.RegisterFunc(topic.MustParse(TimerPrefix+".Fortnight"), func(event.Message) {}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "no timer publishes on") || !strings.Contains(logs.String(), "Fortnight") {
		t.Fatalf("a hook on a timer topic with no timer was not logged: %q", logs.String())
	}
	e.Start()
	fc.BlockUntil(2)
	fc.Advance(time.Second)
	if m := <-ticks; m.topic != before {
		t.Fatalf("tick %v", m)
	}
	if m := <-secs; m.topic != SecondTimer {
		t.Fatalf("tick %v", m)
	}
	e.Stop()
	if err := e.Clear(); err != nil {
		t.Fatal(err)
	}
	if s := e.Stats(); s.Timers != 0 || s.Hooks != 0 {
		t.Fatalf("after Clear: %+v", s)
	}
	e.Start()
	if n := fc.Waiters(); n != 0 {
		t.Fatalf("%d timers waiting after Clear and Start", n)
	}
	tp, _ := e.Timer(time.Minute)
	fc.BlockUntil(1)
	if !e.RemoveTimer(time.Minute) || tp != MinuteTimer {
		t.Fatal("RemoveTimer of a running timer")
	}
	for fc.Waiters() != 0 { // its goroutine ends
		runtime.Gosched()
	}
}

func TestTimerReuseAndNames(t *testing.T) {
	e := newEngine(t, WithClock(clock.NewFake(t0)))
	if tp, err := e.Timer(time.Second); err != nil || tp != SecondTimer || e.Stats().Timers != 1 {
		t.Fatalf("Timer on a stopped engine: %v %v", tp, err) // it starts with the engine
	}
	if !e.RemoveTimer(time.Second) || e.RemoveTimer(time.Second) || e.Stats().Timers != 0 {
		t.Fatal("RemoveTimer")
	}
	e.Start()
	a, err := e.Timer(250 * time.Millisecond)
	b, _ := e.TimerAt(250*time.Millisecond, t0.Add(time.Hour))
	if err != nil || a != b || a.String() != "EventEngine.Internal.Timer.250ms" || e.Stats().Timers != 1 {
		t.Fatalf("reuse: %v %v %v timers %d", a, b, err, e.Stats().Timers)
	}
	if _, err := e.Timer(0); !errors.Is(err, ErrInterval) {
		t.Fatalf("Timer(0): %v", err)
	}
	if _, err := e.Timer(-time.Second); !errors.Is(err, ErrInterval) {
		t.Fatalf("Timer(-1s): %v", err)
	}
	if sec, _ := e.Timer(1000 * time.Millisecond); sec != SecondTimer {
		t.Fatalf("Timer(1000ms) = %v", sec)
	}
	if min, _ := e.Timer(60 * time.Second); min != MinuteTimer {
		t.Fatalf("Timer(60s) = %v", min)
	}
	if tp, _ := e.Timer(1500 * time.Millisecond); tp.String() != "EventEngine.Internal.Timer.1500ms" {
		t.Fatalf("Timer(1.5s) = %v", tp)
	}
	if n := e.Stats().Timers; n != 4 {
		t.Fatalf("Stats.Timers = %d, want 4", n)
	}
	for d, want := range map[time.Duration]string{
		250 * time.Millisecond: "250ms", 1500 * time.Millisecond: "1500ms", 90 * time.Second: "90s",
		2 * time.Minute: "2m", 3 * time.Hour: "3h", 7: "7ns", 3 * time.Microsecond: "3us", 90 * time.Minute: "90m",
	} {
		if got := IntervalName(d); got != want {
			t.Errorf("IntervalName(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTimerNoDriftAndActivation(t *testing.T) {
	fc := clock.NewFake(t0)
	e := newEngine(t, WithClock(fc))
	e.Start()
	const iv = 250 * time.Millisecond
	first := t0.Add(10 * time.Second) // in the future
	tp, _ := e.TimerAt(iv, first)
	ticks := subscribeTicks(t, e, tp)
	fc.BlockUntil(1)
	fc.Set(first)
	if got := <-ticks; !got.at.Equal(first) {
		t.Fatalf("first tick at %v, want %v", got.at, first)
	}
	for k := 1; k <= 1000; k++ {
		fc.BlockUntil(1)
		fc.Advance(iv)
		got := <-ticks
		if want := first.Add(time.Duration(k) * iv); !got.at.Equal(want) {
			t.Fatalf("tick %d at %v, want %v (drift)", k, got.at, want)
		}
	}
	// A stall of ten intervals: one tick for the latest due time, the nine
	// before it skipped, then on schedule again; never a burst.
	fc.BlockUntil(1)
	last := first.Add(1000 * iv)
	fc.Advance(10 * iv)
	if got := <-ticks; !got.at.Equal(last.Add(10 * iv)) {
		t.Fatalf("after the stall: %v", got.at)
	}
	fc.BlockUntil(1)
	select {
	case extra := <-ticks:
		t.Fatalf("burst after a stall: %+v", extra)
	default:
	}
	fc.Advance(iv)
	if got := <-ticks; !got.at.Equal(last.Add(11 * iv)) {
		t.Fatalf("tick after the stall at %v, want %v", got.at, last.Add(11*iv))
	}
}

func TestTimerActivationInThePast(t *testing.T) {
	fc := clock.NewFake(t0)
	e := newEngine(t, WithClock(fc))
	e.Start()
	tp, _ := e.TimerAt(time.Second, t0.Add(-90*time.Second+time.Millisecond)) // 1s: aligned, ignores first
	if tp != SecondTimer {
		t.Fatal("1s timer is the aligned second timer")
	}
	tp, _ = e.TimerAt(7*time.Second, t0.Add(-20*time.Second)) // ticks at t0-20s+7k: first not before t0 is t0+1s
	ticks := subscribeTicks(t, e, tp)
	fc.BlockUntil(2)
	fc.Advance(time.Second)
	if got := <-ticks; !got.at.Equal(t0.Add(time.Second)) {
		t.Fatalf("first tick %v, want %v", got.at, t0.Add(time.Second))
	}
}

// TestTimerStopWhileQueueFullAndRestart blocks a tick on a full queue and
// stops the engine: the timer ends at once (before the loop, stuck in a
// handler, can), its tick is not accepted, accepted = delivered + queued,
// and after a restart the timer publishes the tick that was refused (its
// time is not past) and then goes on with its schedule; the goroutine count
// comes back to where it started.
func TestTimerStopWhileQueueFullAndRestart(t *testing.T) {
	before := runtime.NumGoroutine()
	fc := clock.NewFake(t0)
	e, release := fullEngine(t, WithClock(fc))
	defer release()
	tp, _ := e.Timer(time.Hour)
	ticks := subscribeTicks(t, e, tp)
	fc.BlockUntil(1)
	accepted := e.Stats().Accepted
	fc.Advance(time.Hour) // the timer fires and blocks on the full queue
	for e.waited.Load() == 0 {
		runtime.Gosched()
	}
	stopped := make(chan struct{})
	go func() { e.Stop(); close(stopped) }()
	for !e.stopping.Load() {
		runtime.Gosched()
	}
	timersDone := make(chan struct{})
	go func() { e.timers.wg.Wait(); close(timersDone) }()
	select {
	case <-timersDone: // the timer left its blocked put while the loop is still stuck
	case <-time.After(time.Minute):
		t.Fatal("the timer blocked on a full queue did not end with Stop")
	}
	select {
	case <-stopped:
		t.Fatal("Stop returned while the loop was still in a handler")
	default:
	}
	release() // let the handler return so the loop can stop
	<-stopped
	s := e.Stats()
	if s.Accepted != accepted || s.Accepted != s.Delivered+s.Taken+uint64(s.Queued) || s.Running {
		t.Fatalf("after Stop: %+v, accepted before the tick %d", s, accepted)
	}
	// Restart: the refused tick (standing for t0+1h, not past) comes first,
	// then the schedule goes on.
	e.Start()
	fc.BlockUntil(1)
	fc.Advance(time.Hour)
	for k := 1; k <= 2; k++ {
		if got := <-ticks; got.topic != tp || !got.at.Equal(t0.Add(time.Duration(k)*time.Hour)) {
			t.Fatalf("after restart, tick %d: %+v", k, got)
		}
	}
	e.Stop()
	settleGoroutines(t, before)
}

// settleGoroutines fails t unless the goroutine count comes back to before.
// Goroutines that have signalled their end may still be on their way out,
// so it yields (no sleeping) until they are gone, for at most ten seconds.
func settleGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after stop, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// TestTimerOneGoroutinePerInterval asks three times for the same interval:
// one timer ticks, on the schedule of the first request.
func TestTimerOneGoroutinePerInterval(t *testing.T) {
	fc := clock.NewFake(t0)
	e := newEngine(t, WithClock(fc))
	e.Start()
	const iv = 250 * time.Millisecond
	tp, _ := e.Timer(iv)
	e.Timer(iv)
	e.TimerAt(iv, t0.Add(time.Hour)) // ignored: the timer exists
	ticks := subscribeTicks(t, e, tp)
	for k := 1; k <= 3; k++ {
		fc.BlockUntil(1)
		if n := fc.Waiters(); n != 1 {
			t.Fatalf("%d timers waiting, want 1", n)
		}
		fc.Advance(iv)
		if got := <-ticks; !got.at.Equal(t0.Add(time.Duration(k) * iv)) {
			t.Fatalf("tick %d at %v (a duplicate?)", k, got.at)
		}
	}
	if n := e.Stats().Timers; n != 1 {
		t.Fatalf("Stats.Timers = %d", n)
	}
}

// fullEngine returns a running engine of capacity 1 whose loop is stuck in
// the handler of the topic Fill until release is called, with its queue
// full.
func fullEngine(t *testing.T, opts ...Option) (e *Engine, release func()) {
	t.Helper()
	e = newEngine(t, append(opts, WithCapacity(1))...)
	block := make(chan struct{})
	blocked := make(chan struct{})
	filler := topic.MustParse("Fill")
	var once sync.Once
	if _, err := e.RegisterFunc(filler, func(event.Message) { once.Do(func() { close(blocked) }); <-block }); err != nil {
		t.Fatal(err)
	}
	e.Start()
	if err := e.Put(filler); err != nil {
		t.Fatal(err)
	}
	<-blocked // the loop is stuck in a handler
	for e.TryPut(filler) == nil {
	} // the queue is now full
	return e, sync.OnceFunc(func() { close(block) })
}

// TestTimerSkipsTicksMissedOnAFullQueue blocks a tick on a full queue for
// ten intervals: that tick is delivered with its own time, then the timer
// waits for the first scheduled time after now; the ten ticks it missed are
// not published at once.
func TestTimerSkipsTicksMissedOnAFullQueue(t *testing.T) {
	fc := clock.NewFake(t0)
	e, release := fullEngine(t, WithClock(fc))
	defer release()
	const iv = time.Minute + time.Second // not aligned
	tp, _ := e.Timer(iv)
	ticks := subscribeTicks(t, e, tp)
	fc.BlockUntil(1)
	fc.Advance(iv) // tick 1 is due and blocks on the full queue
	for e.waited.Load() == 0 {
		runtime.Gosched()
	}
	fc.Advance(10 * iv) // ticks 2..11 pass while it waits
	release()
	if got := <-ticks; !got.at.Equal(t0.Add(iv)) {
		t.Fatalf("blocked tick at %v, want %v", got.at, t0.Add(iv))
	}
	fc.BlockUntil(1) // waiting for tick 12, publishing nothing before it
	fc.Advance(iv)
	if got := <-ticks; !got.at.Equal(t0.Add(12 * iv)) {
		t.Fatalf("tick after the blocked one at %v, want %v (a burst of missed ticks?)", got.at, t0.Add(12*iv))
	}
}

// recordLog is a slog.Handler that keeps the messages it is given.
type recordLog struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recordLog) Enabled(context.Context, slog.Level) bool { return true }
func (r *recordLog) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}
func (r *recordLog) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recordLog) WithGroup(string) slog.Handler      { return r }
func (r *recordLog) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// TestTimerAfterShutdown: a tick refused because the engine is shutting
// down (ErrClosed) is dropped without a log line; the timer goes on, ends
// with the engine, and ticks again after Start reopens it.
func TestTimerAfterShutdown(t *testing.T) {
	fc := clock.NewFake(t0)
	logs := &recordLog{}
	e, release := fullEngine(t, WithClock(fc), WithLogger(slog.New(logs)))
	defer release()
	const iv = 5 * time.Second
	tp, _ := e.Timer(iv)
	ticks := subscribeTicks(t, e, tp)
	fc.BlockUntil(1)
	fc.Advance(iv) // the tick blocks on the full queue
	for e.waited.Load() == 0 {
		runtime.Gosched()
	}
	shut := make(chan error, 1)
	go func() { shut <- e.Shutdown(context.Background()) }()
	fc.BlockUntil(1) // the queue closed under the tick: refused, and the timer waits for the next
	fc.Advance(iv)   // this one is refused too
	fc.BlockUntil(1)
	release()
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if got := logs.all(); len(got) != 0 {
		t.Fatalf("logged after Shutdown: %q", got)
	}
	select {
	case got := <-ticks:
		t.Fatalf("a tick was delivered after Shutdown: %+v", got)
	default:
	}
	e.Start()
	fc.BlockUntil(1)
	fc.Advance(iv)
	if got := <-ticks; !got.at.Equal(t0.Add(3 * iv)) {
		t.Fatalf("after restart: %v, want %v", got.at, t0.Add(3*iv))
	}
}

// TestTimerRestartKeepsSchedule: a timer stopped with its engine resumes on
// the schedule it was created with, skipping the ticks that fell while the
// engine was stopped.
func TestTimerRestartKeepsSchedule(t *testing.T) {
	fc := clock.NewFake(t0)
	e := newEngine(t, WithClock(fc))
	e.Start()
	tp, _ := e.Timer(time.Hour) // ticks at t0 + k hours
	ticks := subscribeTicks(t, e, tp)
	fc.BlockUntil(1)
	e.Stop()
	if n := fc.Waiters(); n != 0 {
		t.Fatalf("%d timers still waiting after Stop", n)
	}
	if again, err := e.Timer(time.Hour); err != nil || again != tp || e.Stats().Timers != 1 {
		t.Fatalf("Timer on a stopped engine: %v %v", again, err)
	}
	fc.Advance(150 * time.Minute)
	e.Start()
	fc.BlockUntil(1)
	fc.Advance(30 * time.Minute)
	if got := <-ticks; !got.at.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("after restart: %v, want %v", got.at, t0.Add(3*time.Hour))
	}
	if n := e.Stats().Timers; n != 1 {
		t.Fatalf("Stats.Timers = %d", n)
	}
}

func TestTimerIntervalNameIsAValidPart(t *testing.T) {
	for _, d := range []time.Duration{1, 999, time.Microsecond, 1001 * time.Microsecond, 61 * time.Second, 25 * time.Hour, 1<<63 - 1} {
		name := IntervalName(d)
		if strings.ContainsAny(name, ". ") {
			t.Errorf("IntervalName(%v) = %q", d, name)
		}
		if _, err := topic.Parse(TimerPrefix + "." + name); err != nil {
			t.Errorf("IntervalName(%v) = %q: %v", d, name, err)
		}
	}
}

// monoClock reads times that carry a monotonic clock reading, as time.Now
// does; a new timer moves the time on to its deadline and fires at once.
type monoClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *monoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *monoClock) NewTimer(d time.Duration) clock.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return monoTimer(ch)
}

type monoTimer chan time.Time

func (t monoTimer) C() <-chan time.Time { return t }
func (t monoTimer) Stop() bool          { return false }

// TestTimerPublishesPlainTimes: the published trigger_time has no monotonic
// reading even when the clock's times do, so it prints without "m=".
func TestTimerPublishesPlainTimes(t *testing.T) {
	now := time.Now()
	e := newEngine(t, WithClock(&monoClock{now: now}))
	e.Start()
	tp, _ := e.Timer(time.Hour)
	ch := make(chan time.Time, 1)
	e.RegisterFunc(tp, func(m event.Message) {
		at, _ := event.Kwarg[time.Time](m, "trigger_time")
		select {
		case ch <- at:
		default:
		}
	})
	at := <-ch
	e.Stop()
	if strings.Contains(at.String(), "m=") || at.Round(0) != at || !at.After(now) {
		t.Fatalf("trigger_time %v", at)
	}
}

// TestTimerKwargs: the aligned timers publish exactly the keyword arguments
// interval and timestamp, the others interval and trigger_time, with no
// positional arguments, as the reference's EventEngineEx does.
func TestTimerKwargs(t *testing.T) {
	fc := clock.NewFake(t0)
	e := newEngine(t, WithClock(fc))
	e.Start()
	msgs := make(chan event.Message, 8)
	for _, iv := range []time.Duration{time.Second, time.Minute, 250 * time.Millisecond} {
		tp, err := e.TimerAt(iv, time.Date(2026, 11, 24, 12, 0, 1, 0, time.UTC)) // first ignored by the aligned ones
		if err != nil {
			t.Fatal(err)
		}
		e.RegisterFunc(tp, func(m event.Message) { msgs <- m })
	}
	fc.BlockUntil(3)
	fc.Set(time.Date(2026, 11, 24, 12, 1, 0, 0, time.UTC)) // all three fire once (the 250ms one skips its missed ticks)
	want := map[topic.Topic]struct {
		interval time.Duration
		key      string
	}{
		SecondTimer: {time.Second, "timestamp"},
		MinuteTimer: {time.Minute, "timestamp"},
		topic.MustParse("EventEngine.Internal.Timer.250ms"): {250 * time.Millisecond, "trigger_time"},
	}
	for range 3 {
		m := <-msgs
		w, ok := want[m.Topic]
		if !ok {
			t.Fatalf("unexpected message on %v", m.Topic)
		}
		delete(want, m.Topic)
		iv, ok1 := event.Kwarg[time.Duration](m, "interval")
		at, ok2 := event.Kwarg[time.Time](m, w.key)
		same, ok3 := event.Kwarg[time.Time](m, KwargTime) // one name for every interval
		if !ok1 || !ok2 || !ok3 || !same.Equal(at) || iv != w.interval || len(m.Kwargs) != 3 || len(m.Args) != 0 {
			t.Fatalf("%v: args %v kwargs %v, want interval=%v and %s", m.Topic, m.Args, m.Kwargs, w.interval, w.key)
		}
		if !at.Equal(time.Date(2026, 11, 24, 12, 1, 0, 0, time.UTC)) {
			t.Fatalf("%v: %s = %v", m.Topic, w.key, at)
		}
	}
}

// TestTimerAlignedNoDrift runs the second timer for 1,000 ticks and the
// minute timer for 100, with the clock waking each a little late every
// time: every tick stands for its whole second or minute, none is skipped
// or repeated.
func TestTimerAlignedNoDrift(t *testing.T) {
	start := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	fc := clock.NewFake(start.Add(300 * time.Millisecond))
	e := newEngine(t, WithClock(fc))
	e.Start()
	sec, _ := e.Timer(time.Second)
	ticks := subscribeTicks(t, e, sec)
	fc.BlockUntil(1)
	for k := 1; k <= 1000; k++ {
		fc.BlockUntil(1)
		fc.Set(start.Add(time.Duration(k)*time.Second + time.Duration(k%7)*time.Millisecond)) // woken 0-6 ms late
		if got := <-ticks; !got.at.Equal(start.Add(time.Duration(k) * time.Second)) {
			t.Fatalf("second tick %d at %v", k, got.at)
		}
	}
	e.Stop()
	e.Start()
	base := fc.Now().Truncate(time.Minute)
	min, _ := e.Timer(time.Minute)
	mticks := subscribeTicks(t, e, min)
	for k := 1; k <= 100; k++ {
		fc.BlockUntil(2) // the second and the minute timer wait
		fc.Set(base.Add(time.Duration(k)*time.Minute + 999*time.Millisecond))
		if got := <-mticks; !got.at.Equal(base.Add(time.Duration(k) * time.Minute)) {
			t.Fatalf("minute tick %d at %v", k, got.at)
		}
		<-ticks // the second timer's one tick for this minute
	}
}

// TestTimerConcurrentRequests: many goroutines asking at once for the same
// interval get the same topic and start one timer.
func TestTimerConcurrentRequests(t *testing.T) {
	fc := clock.NewFake(t0)
	e := newEngine(t, WithClock(fc))
	e.Start()
	const n = 16
	topics := make(chan topic.Topic, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tp, err := e.Timer(3 * time.Second)
			if err != nil {
				t.Error(err)
			}
			topics <- tp
		}()
	}
	wg.Wait()
	close(topics)
	for tp := range topics {
		if tp.String() != "EventEngine.Internal.Timer.3s" {
			t.Fatalf("topic %v", tp)
		}
	}
	fc.BlockUntil(1)
	if n := fc.Waiters(); n != 1 || e.Stats().Timers != 1 {
		t.Fatalf("%d timers waiting, Stats.Timers %d; want 1", n, e.Stats().Timers)
	}
}

// TestTimerFromHandlerAndRunContext: a handler may ask for a timer; an
// engine driven by Run stops its timers when Run's context ends, and the
// goroutine count comes back.
func TestTimerFromHandlerAndRunContext(t *testing.T) {
	before := runtime.NumGoroutine()
	fc := clock.NewFake(t0)
	e := newEngine(t, WithClock(fc))
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- e.Run(ctx) }()
	for !e.Active() {
		runtime.Gosched()
	}
	asked := make(chan topic.Topic, 1)
	e.RegisterFunc(topic.MustParse("Ask"), func(event.Message) {
		tp, err := e.Timer(2 * time.Second)
		if err != nil {
			t.Error(err)
		}
		asked <- tp
	})
	if err := e.Put(topic.MustParse("Ask")); err != nil {
		t.Fatal(err)
	}
	tp := <-asked
	ticks := subscribeTicks(t, e, tp)
	fc.BlockUntil(1)
	fc.Advance(2 * time.Second)
	if got := <-ticks; !got.at.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("tick %+v", got)
	}
	fc.BlockUntil(1)
	cancel()
	if err := <-ran; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	if n := fc.Waiters(); n != 0 || e.Active() {
		t.Fatalf("after Run ended: %d timers waiting, active %v", n, e.Active())
	}
	if _, err := e.Timer(2 * time.Second); err != nil || fc.Waiters() != 0 {
		t.Fatalf("Timer after Run ended: %v, %d timers waiting", err, fc.Waiters()) // it waits for the next start
	}
	settleGoroutines(t, before)
}

// TestTimerActivationCenturiesAway: activation times further than a
// time.Duration can span (about 292 years) still give the right schedule:
// centuries in the past, the next scheduled time after now, once; centuries
// ahead, nothing until that time, even when the clock jumps part of the way.
func TestTimerActivationCenturiesAway(t *testing.T) {
	fc := clock.NewFake(t0)
	e := newEngine(t, WithClock(fc))
	e.Start()
	past := time.Date(1500, 1, 1, 0, 0, 7, 0, time.UTC) // on the 7 s schedule? 1500-01-01 00:00:07 + 3h*k
	tp, err := e.TimerAt(3*time.Hour, past)
	if err != nil {
		t.Fatal(err)
	}
	ticks := subscribeTicks(t, e, tp)
	fc.BlockUntil(1)
	fc.Advance(3 * time.Hour)
	got := <-ticks
	if d := got.at.Sub(t0); d <= 0 || d > 3*time.Hour || got.at.Second() != 7 || got.at.Hour()%3 != 0 {
		t.Fatalf("first tick of a schedule anchored in 1500: %v (now %v)", got.at, fc.Now())
	}
	fc.BlockUntil(1)
	select {
	case extra := <-ticks:
		t.Fatalf("a second tick at once: %+v", extra)
	default:
	}

	future := time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)
	tp2, _ := e.TimerAt(5*time.Hour, future)
	ticks2 := subscribeTicks(t, e, tp2)
	fc.BlockUntil(2)
	fc.Set(time.Date(2400, 1, 1, 0, 0, 0, 0, time.UTC)) // past the longest clock wait, before the activation
	<-ticks                                             // the 3h timer's one tick for the jump
	fc.BlockUntil(2)
	select {
	case early := <-ticks2:
		t.Fatalf("tick before the activation time: %+v", early)
	default:
	}
	fc.Set(future)
	if got := <-ticks2; !got.at.Equal(future) {
		t.Fatalf("first tick %v, want %v", got.at, future)
	}
}

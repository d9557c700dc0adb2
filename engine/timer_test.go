package engine

import (
	"errors"
	"runtime"
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

// tickEngine starts an engine on a fake clock and returns a channel of the
// ticks a handler on t receives.
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

func TestTimerReuseAndNames(t *testing.T) {
	e := newEngine(t, WithClock(clock.NewFake(t0)))
	if _, err := e.Timer(time.Second); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Timer on a stopped engine: %v", err)
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

func TestTimerStopWhileQueueFullAndRestart(t *testing.T) {
	before := runtime.NumGoroutine()
	fc := clock.NewFake(t0)
	e := newEngine(t, WithClock(fc), WithCapacity(1))
	block := make(chan struct{})
	blocked := make(chan struct{})
	filler := topic.MustParse("Fill")
	var once sync.Once
	e.RegisterFunc(filler, func(event.Message) { once.Do(func() { close(blocked) }); <-block })
	e.Start()
	tp, _ := e.Timer(time.Hour)
	ticks := subscribeTicks(t, e, tp)
	e.Put(filler)
	<-blocked // the loop is stuck in a handler
	for e.TryPut(filler) == nil {
	} // the queue is now full
	fc.BlockUntil(1)
	fc.Advance(time.Hour) // the timer fires and blocks on the full queue
	for e.waited.Load() == 0 {
		runtime.Gosched()
	}
	stopped := make(chan struct{})
	go func() { e.Stop(); close(stopped) }()
	for !e.stopping.Load() {
		runtime.Gosched()
	}
	close(block) // let the handler return so the loop can stop
	<-stopped
	// Restart: the timer works again.
	e.Start()
	fc.BlockUntil(1)
	fc.Advance(time.Hour)
	got := <-ticks
	if got.topic != tp {
		t.Fatalf("after restart: %+v", got)
	}
	e.Stop()
	for range 1000 {
		if runtime.NumGoroutine() <= before {
			break
		}
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after stop, %d before", n, before)
	}
}

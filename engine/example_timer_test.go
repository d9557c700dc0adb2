package engine_test

import (
	"fmt"
	"time"

	"github.com/eventengine/eventengine/clock"
	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
)

// Timers publish on their own topics while the engine runs. A fake clock
// makes the example deterministic; a real engine uses the system clock.
func ExampleEngine_Timer() {
	fc := clock.NewFake(time.Date(2026, 11, 24, 12, 0, 0, 300_000_000, time.UTC))
	e := engine.MustNew(engine.WithClock(fc))
	e.Start()
	defer e.Stop()

	ticks := make(chan string)
	show := func(key string) func(event.Message) {
		return func(m event.Message) {
			iv, _ := event.Kwarg[time.Duration](m, "interval")
			at, _ := event.Kwarg[time.Time](m, key)
			ticks <- fmt.Sprintf("%v every %v: %s %s", m.Topic, iv, key, at.Format("15:04:05.000"))
		}
	}
	sec, _ := e.Timer(time.Second) // aligned to the second
	e.RegisterFunc(sec, show("timestamp"))
	fast, _ := e.Timer(1500 * time.Millisecond) // first tick one interval from now
	e.RegisterFunc(fast, show("trigger_time"))

	fc.BlockUntil(2)                   // both timers wait
	fc.Advance(700 * time.Millisecond) // 12:00:01.000
	fmt.Println(<-ticks)
	fc.BlockUntil(2)
	fc.Advance(800 * time.Millisecond) // 12:00:01.800
	fmt.Println(<-ticks)
	// Output:
	// EventEngine.Internal.Timer.Second every 1s: timestamp 12:00:01.000
	// EventEngine.Internal.Timer.1500ms every 1.5s: trigger_time 12:00:01.800
}

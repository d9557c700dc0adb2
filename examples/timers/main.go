// Command timers subscribes to a 250 ms timer and prints three ticks, each
// saying the scheduled time it stands for.
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/eventengine/eventengine/clock"
	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
)

func main() {
	if err := run(os.Stdout, clock.Real, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run prints three ticks of a 250 ms timer. advance, if not nil, is called
// when the program waits for the next tick (tests pass a fake clock's).
func run(w io.Writer, clk clock.Clock, advance func()) error {
	e, err := engine.New(engine.WithClock(clk))
	if err != nil {
		return err
	}
	e.Start()
	defer e.Stop()
	t, err := e.Timer(250 * time.Millisecond)
	if err != nil {
		return err
	}
	ticks := make(chan time.Time, 3)
	e.RegisterFunc(t, func(m event.Message) {
		at, _ := event.Kwarg[time.Time](m, "trigger_time")
		select {
		case ticks <- at:
		default: // we only print three
		}
	})
	fmt.Fprintln(w, "timer topic:", t)
	var first time.Time
	for i := range 3 {
		if advance != nil {
			advance()
		}
		at := <-ticks
		if i == 0 {
			first = at
		}
		fmt.Fprintf(w, "tick %d at first+%v\n", i+1, at.Sub(first))
	}
	return nil
}

package bench

import (
	"context"
	"sync"

	"github.com/kelindar/event"

	"github.com/eventengine/eventengine/internal/scenario"
)

// Kelindar is github.com/kelindar/event: typed events, each subscriber on
// its own goroutine with its own batch queue (a publisher waits while one
// holds 50,000 events). Subscribers are woken by a flush ticker (every
// 500 µs), not by a publish, which bounds its latency from below.
type Kelindar struct{}

// Name implements scenario.System.
func (Kelindar) Name() string { return "kelindar/event" }

// Supports implements scenario.System.
func (Kelindar) Supports(s scenario.Scenario) (bool, string) {
	if s.Wildcard {
		return false, "events are typed by number: no topics, no wildcards"
	}
	return true, ""
}

type tick struct{ m *scenario.Msg }

func (tick) Type() uint32 { return 1 }

type kelindarPipe struct {
	d      *event.Dispatcher
	cancel []context.CancelFunc
	left   sync.WaitGroup // subscribers that have not unsubscribed yet
}

// Open implements scenario.System.
func (Kelindar) Open(s scenario.Scenario, deliver scenario.Deliver) (scenario.Pipe, error) {
	p := &kelindarPipe{d: event.NewDispatcher(), cancel: make([]context.CancelFunc, s.Subscribers)}
	p.left.Add(s.Subscribers)
	for i := range s.Subscribers {
		p.cancel[i] = event.Subscribe(p.d, func(t tick) {
			if t.m == nil { // Close's sentinel: unsubscribe from the subscriber's own goroutine
				p.cancel[i]()
				p.left.Done()
				return
			}
			deliver(i, t.m)
		})
	}
	return p, nil
}

func (p *kelindarPipe) Publish(_ int, m *scenario.Msg) error {
	event.Publish(p.d, tick{m})
	return nil
}

// Close unsubscribes every subscriber from its own goroutine, then closes
// the dispatcher. (v1.5.2's unsubscribe marks the subscriber stopped
// without waking it, and Close stops the ticker that would wake it, so
// unsubscribing from outside and closing leaks the subscriber goroutines.
// A subscriber that unsubscribes in its own handler exits as soon as the
// handler returns.)
func (p *kelindarPipe) Close() error {
	event.Publish(p.d, tick{})
	p.left.Wait()
	return p.d.Close()
}

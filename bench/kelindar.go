package bench

import (
	"context"

	"github.com/kelindar/event"

	"github.com/eventengine/eventengine/internal/scenario"
)

// Kelindar is github.com/kelindar/event: typed events, each subscriber on
// its own goroutine.
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
}

// Open implements scenario.System.
func (Kelindar) Open(s scenario.Scenario, deliver scenario.Deliver) (scenario.Pipe, error) {
	p := &kelindarPipe{d: event.NewDispatcher()}
	for i := range s.Subscribers {
		p.cancel = append(p.cancel, event.Subscribe(p.d, func(t tick) { deliver(i, t.m) }))
	}
	return p, nil
}

func (p *kelindarPipe) Publish(_ int, m *scenario.Msg) error {
	event.Publish(p.d, tick{m})
	return nil
}

func (p *kelindarPipe) Close() error {
	for _, c := range p.cancel {
		c()
	}
	return p.d.Close()
}

package bench

import (
	evbus "github.com/asaskevich/EventBus"

	"github.com/eventengine/eventengine/internal/scenario"
)

// EventBus is github.com/asaskevich/EventBus in its asynchronous,
// transactional mode (handlers run off the publisher's goroutine, one at a
// time per handler).
type EventBus struct{}

// Name implements scenario.System.
func (EventBus) Name() string { return "asaskevich/EventBus" }

// Supports implements scenario.System.
func (EventBus) Supports(s scenario.Scenario) (bool, string) {
	if s.Wildcard {
		return false, "no wildcard topics"
	}
	return true, ""
}

type eventBusPipe struct{ bus evbus.Bus }

// Open implements scenario.System.
func (EventBus) Open(s scenario.Scenario, deliver scenario.Deliver) (scenario.Pipe, error) {
	bus := evbus.New()
	for i := range s.Subscribers {
		if err := bus.SubscribeAsync(exactTopic, func(m *scenario.Msg) { deliver(i, m) }, true); err != nil {
			return nil, err
		}
	}
	return &eventBusPipe{bus}, nil
}

func (p *eventBusPipe) Publish(_ int, m *scenario.Msg) error {
	p.bus.Publish(exactTopic, m)
	return nil
}

func (p *eventBusPipe) Close() error { p.bus.WaitAsync(); return nil }

package bench

import (
	"fmt"

	"github.com/gookit/event"

	"github.com/eventengine/eventengine/internal/scenario"
)

// Gookit is github.com/gookit/event with its asynchronous channel (one
// consumer, so order is kept; channel size 4096), in path mode, where "*"
// matches one dot-separated part: Market.*.*.
type Gookit struct{}

// Name implements scenario.System.
func (Gookit) Name() string { return "gookit/event" }

// Supports implements scenario.System.
func (Gookit) Supports(scenario.Scenario) (bool, string) { return true, "" }

type gookitPipe struct{ em *event.Manager }

// Open implements scenario.System.
func (Gookit) Open(s scenario.Scenario, deliver scenario.Deliver) (scenario.Pipe, error) {
	em := event.NewManager("bench", event.UsePathMode, event.WithConsumerNum(1), event.WithChannelSize(4096))
	name := exactTopic
	if s.Wildcard {
		name = wildcardSubject
	}
	for i := range s.NonMatching {
		em.On(fmt.Sprintf(nonMatching, i), event.ListenerFunc(func(event.Event) error { return nil }))
	}
	for i := range s.Subscribers {
		em.On(name, event.ListenerFunc(func(e event.Event) error {
			deliver(i, e.Get("m").(*scenario.Msg))
			return nil
		}))
	}
	return &gookitPipe{em}, nil
}

func (p *gookitPipe) Publish(_ int, m *scenario.Msg) error {
	p.em.Async(exactTopic, event.M{"m": m})
	return nil
}

func (p *gookitPipe) Close() error { return p.em.Close() }

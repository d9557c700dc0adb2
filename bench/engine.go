package bench

import (
	"context"
	"fmt"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/internal/scenario"
	"github.com/eventengine/eventengine/topic"
)

// Engine is this project's engine: capacity 4096, one handler per
// subscriber registered with RegisterFunc, blocking Put. Subscribers use the
// exact topic Market.Data.AAPL, or Market.{kind}.{symbol} in the wildcard
// scenario, with the non-matching subscriptions Feed<i>.{kind}.{symbol}.
//
// Put does not copy its arguments, so each producer keeps a ring of
// one-element argument arrays and reuses a slot only after more puts of its
// own than can be in flight (zero allocations per message, as a caller
// that builds its arguments once would have). The ring is per producer:
// one ring indexed by sequence number, shared by several producers, would
// hand a slot to one producer while another's message in it is still
// queued.
type Engine struct{}

// Name implements scenario.System.
func (Engine) Name() string { return "eventengine" }

// Supports implements scenario.System: every scenario.
func (Engine) Supports(scenario.Scenario) (bool, string) { return true, "" }

// engineCapacity is the queue capacity; argRing must exceed what can be in
// flight: the queue's capacity plus a batch in the loop's hands.
const (
	engineCapacity = 4096
	argRing        = 4 * engineCapacity
)

type argSlots struct {
	next int
	args [argRing][1]any
}

type enginePipe struct {
	e    *engine.Engine
	t    topic.Topic
	args []argSlots // one ring per producer
}

// Open implements scenario.System.
func (Engine) Open(s scenario.Scenario, deliver scenario.Deliver) (scenario.Pipe, error) {
	e, err := engine.New(engine.WithCapacity(engineCapacity))
	if err != nil {
		return nil, err
	}
	sub := topic.MustParse(exactTopic)
	if s.Wildcard {
		sub = topic.MustParse("Market.{kind}.{symbol}")
	}
	for i := range s.NonMatching {
		if _, err := e.RegisterFunc(topic.MustParse(fmt.Sprintf("Feed%d.{kind}.{symbol}", i)), func(event.Message) {}); err != nil {
			return nil, err
		}
	}
	for i := range s.Subscribers {
		if _, err := e.RegisterFunc(sub, func(m event.Message) { deliver(i, m.Args[0].(*scenario.Msg)) }); err != nil {
			return nil, err
		}
	}
	e.Start()
	return &enginePipe{e: e, t: topic.MustParse(exactTopic), args: make([]argSlots, s.Producers)}, nil
}

func (p *enginePipe) Publish(producer int, m *scenario.Msg) error {
	r := &p.args[producer]
	a := &r.args[r.next]
	r.next = (r.next + 1) % argRing
	a[0] = m
	return p.e.Put(p.t, a[:]...)
}

func (p *enginePipe) Close() error { return p.e.Shutdown(context.Background()) }

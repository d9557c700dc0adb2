package scenario

import (
	"context"
	"fmt"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// Channel is the baseline: a buffered Go channel of *Msg, capacity 4096,
// drained by one goroutine that calls every subscriber in turn (as the
// engine's loop calls every handler).
type Channel struct{}

// Name implements System.
func (Channel) Name() string { return "Go channel (baseline)" }

// Supports implements System: a channel has no topics, so no wildcards.
func (Channel) Supports(s Scenario) (bool, string) {
	if s.Wildcard {
		return false, "no topics"
	}
	return true, ""
}

type chanPipe struct {
	ch   chan *Msg
	done chan struct{}
}

// Open implements System.
func (Channel) Open(s Scenario, deliver Deliver) (Pipe, error) {
	p := &chanPipe{ch: make(chan *Msg, 4096), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for m := range p.ch {
			for sub := range s.Subscribers {
				deliver(sub, m)
			}
		}
	}()
	return p, nil
}

func (p *chanPipe) Publish(_ int, m *Msg) error { p.ch <- m; return nil }
func (p *chanPipe) Close() error                { close(p.ch); <-p.done; return nil }

// Engine is this project's engine (capacity 4096).
type Engine struct{}

// Name implements System.
func (Engine) Name() string { return "eventengine" }

// Supports implements System: every scenario.
func (Engine) Supports(Scenario) (bool, string) { return true, "" }

type enginePipe struct {
	e    *engine.Engine
	t    topic.Topic
	args []producerArgs // one ring of argument slices per producer
}

// producerArgs is one producer's ring of argument slices, reused in turn:
// a slot is reused only after argRing later puts of the same producer, by
// which time the queue (capacity 4096) has delivered it.
type producerArgs struct {
	ring [argRing][1]any
	next int
	_    [56]byte
}

// argRing must exceed the messages in flight: the queue capacity plus a
// batch in the loop's hands.
const argRing = 1 << 13

// Open implements System. Producers publish on Market.Data.AAPL; the
// subscribers use that exact topic, or Market.{kind}.{symbol} in the
// wildcard scenario, with NonMatching subscriptions Feed<i>.{kind}.{symbol}.
func (Engine) Open(s Scenario, deliver Deliver) (Pipe, error) {
	e, err := engine.New(engine.WithCapacity(4096))
	if err != nil {
		return nil, err
	}
	sub := topic.MustParse("Market.Data.AAPL")
	if s.Wildcard {
		sub = topic.MustParse("Market.{kind}.{symbol}")
	}
	for i := range s.NonMatching {
		if _, err := e.RegisterFunc(topic.MustParse(fmt.Sprintf("Feed%d.{kind}.{symbol}", i)), func(event.Message) {}); err != nil {
			return nil, err
		}
	}
	for i := range s.Subscribers {
		if _, err := e.RegisterFunc(sub, func(m event.Message) { deliver(i, m.Args[0].(*Msg)) }); err != nil {
			return nil, err
		}
	}
	e.Start()
	return &enginePipe{e: e, t: topic.MustParse("Market.Data.AAPL"), args: make([]producerArgs, s.Producers)}, nil
}

func (p *enginePipe) Publish(producer int, m *Msg) error {
	pa := &p.args[producer] // the caller builds its arguments once; here, a ring
	a := &pa.ring[pa.next%argRing]
	pa.next++
	a[0] = m
	return p.e.Put(p.t, a[:]...)
}

func (p *enginePipe) Close() error { return p.e.Shutdown(context.Background()) }

package bench

import (
	"context"
	"strconv"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/eventengine/eventengine/internal/scenario"
)

// Watermill is github.com/ThreeDotsLabs/watermill's in-memory gochannel
// pub/sub (output buffer 4096, every message acked).
type Watermill struct{}

// Name implements scenario.System.
func (Watermill) Name() string { return "watermill gochannel" }

// Supports implements scenario.System.
func (Watermill) Supports(s scenario.Scenario) (bool, string) {
	if s.Wildcard {
		return false, "no wildcard topics"
	}
	return true, ""
}

type watermillPipe struct {
	ps     *gochannel.GoChannel
	t      table
	cancel context.CancelFunc
	done   chan struct{}
	subs   int
}

// Open implements scenario.System.
func (Watermill) Open(s scenario.Scenario, deliver scenario.Deliver) (scenario.Pipe, error) {
	ps := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 4096}, watermill.NopLogger{})
	ctx, cancel := context.WithCancel(context.Background())
	p := &watermillPipe{ps: ps, t: newTable(s), cancel: cancel, done: make(chan struct{}, s.Subscribers), subs: s.Subscribers}
	for i := range s.Subscribers {
		ch, err := ps.Subscribe(ctx, exactTopic)
		if err != nil {
			cancel()
			return nil, err
		}
		go func() {
			defer func() { p.done <- struct{}{} }()
			for msg := range ch {
				deliver(i, p.t.decode(msg.Payload))
				msg.Ack()
			}
		}()
	}
	return p, nil
}

func (p *watermillPipe) Publish(_ int, m *scenario.Msg) error {
	p.t.put(m)
	msg := message.NewMessage(strconv.FormatInt(m.Seq, 10), encode(make([]byte, 0, payloadSize), m))
	return p.ps.Publish(exactTopic, msg)
}

func (p *watermillPipe) Close() error {
	p.cancel()
	err := p.ps.Close()
	for range p.subs {
		<-p.done
	}
	return err
}

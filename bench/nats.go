package bench

import (
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/eventengine/eventengine/internal/scenario"
)

// NATS is a NATS server embedded in the process (no network listener) with
// the nats.go client connected in-process; subscriptions have no pending
// limit, so a slow subscriber is never cut off.
type NATS struct{}

// Name implements scenario.System.
func (NATS) Name() string { return "NATS (embedded)" }

// Supports implements scenario.System.
func (NATS) Supports(scenario.Scenario) (bool, string) { return true, "" }

type natsPipe struct {
	srv  *server.Server
	nc   *nats.Conn
	t    table
	subs []*nats.Subscription
}

// Open implements scenario.System.
func (NATS) Open(s scenario.Scenario, deliver scenario.Deliver) (scenario.Pipe, error) {
	srv, err := server.NewServer(&server.Options{DontListen: true, NoLog: true, NoSigs: true, MaxPayload: 1 << 20})
	if err != nil {
		return nil, err
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded NATS server not ready")
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv))
	if err != nil {
		srv.Shutdown()
		return nil, err
	}
	p := &natsPipe{srv: srv, nc: nc, t: newTable(s)}
	subject := exactTopic
	if s.Wildcard {
		subject = wildcardSubject
	}
	for i := range s.NonMatching {
		sub, err := nc.Subscribe(fmt.Sprintf(nonMatching, i), func(*nats.Msg) {})
		if err != nil {
			p.Close()
			return nil, err
		}
		p.subs = append(p.subs, sub)
	}
	for i := range s.Subscribers {
		sub, err := nc.Subscribe(subject, func(msg *nats.Msg) { deliver(i, p.t.decode(msg.Data)) })
		if err != nil {
			p.Close()
			return nil, err
		}
		sub.SetPendingLimits(-1, -1)
		p.subs = append(p.subs, sub)
	}
	if err := nc.Flush(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *natsPipe) Publish(_ int, m *scenario.Msg) error {
	p.t.put(m)
	var buf [payloadSize]byte
	return p.nc.Publish(exactTopic, encode(buf[:0], m))
}

func (p *natsPipe) Close() error {
	for _, s := range p.subs {
		s.Unsubscribe()
	}
	p.nc.Close()
	p.srv.Shutdown()
	p.srv.WaitForShutdown()
	return nil
}

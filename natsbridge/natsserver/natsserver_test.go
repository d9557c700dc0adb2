package natsserver_test

import (
	"os"
	"testing"
	"time"

	"github.com/eventengine/eventengine/internal/leakcheck"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
	"github.com/nats-io/nats.go"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// In-process by default (no listener), a loopback listener on request,
// JetStream in a temporary directory removed at Shutdown, and clients
// reconnect after a Restart.
func TestServer(t *testing.T) {
	s, err := natsserver.Start(natsserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.ClientURL() != "" {
		t.Errorf("a server without a listener has URL %q", s.ClientURL())
	}
	nc, err := nats.Connect("in-process", s.ConnectOption())
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	s.Shutdown()

	s, err = natsserver.Start(natsserver.Options{Port: -1, JetStream: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.StoreDir()
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("store directory: %v", err)
	}
	url := s.ClientURL()
	up := make(chan struct{}, 1)
	nc, err = nats.Connect(url, nats.ReconnectWait(10*time.Millisecond), nats.MaxReconnects(-1),
		nats.ReconnectHandler(func(*nats.Conn) { up <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	s.Stop()
	if s.Running() {
		t.Fatal("running after Stop")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.ClientURL() != url {
		t.Errorf("restarted on %s, was %s", s.ClientURL(), url)
	}
	select {
	case <-up:
	case <-time.After(30 * time.Second):
		t.Fatal("client did not reconnect after Restart")
	}
	nc.Close()
	s.Shutdown()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("store directory %s not removed: %v", dir, err)
	}
}

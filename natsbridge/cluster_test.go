package natsbridge

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/eventengine/eventengine/natsbridge/natsserver"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startCluster starts n JetStream servers clustered on loopback ports and
// waits until JetStream answers through them.
func startCluster(t *testing.T, n int) []*natsserver.Server {
	t.Helper()
	// A clustered JetStream server needs its routes from the start, so
	// the route ports are chosen first (free loopback ports, closed
	// again: another process could take one in between, which fails the
	// test, not silently passes it).
	var srvs []*natsserver.Server
	var routes []string
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
	}
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	for i := range n {
		s := startServer(t, natsserver.Options{Port: -1, JetStream: true, Name: fmt.Sprintf("n%d", i),
			Cluster: &natsserver.Cluster{Name: "ee", Port: ports[i], Routes: routes}})
		srvs = append(srvs, s)
	}
	// JetStream answers once the cluster has elected its meta leader:
	// there is no event to wait for, so ask until it does (bounded).
	nc, err := nats.Connect(clusterURL(srvs))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		actx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := js.AccountInfo(actx)
		cancel()
		if err == nil {
			return srvs
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("JetStream cluster not ready: %v", ctx.Err())
		}
	}
}

func clusterURL(srvs []*natsserver.Server) string {
	var urls []string
	for _, s := range srvs {
		urls = append(urls, s.ClientURL())
	}
	return strings.Join(urls, ",")
}

// A three-node cluster, a stream with three replicas, one node killed
// mid-stream: nothing lost, no duplicate to the handler.
func TestJetStreamClusterNodeLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("a three-node cluster takes seconds to form")
	}
	ctx := ctxFor(t)
	srvs := startCluster(t, 3)
	url := clusterURL(srvs)
	pat := mustParse(t, "C.{x}")
	ea, eb := startEngine(t), startEngine(t)
	const n = 2000
	got := newUniq(n)
	eb.RegisterHandler(pat, got)
	first := newUniq(1)
	eb.RegisterHandler(pat, first)
	js := fastJS("c")
	js.Replicas = 3
	ba := startBridgeURL(t, ea, url, WithExport(pat), WithJetStream(js))
	bb := startBridgeURL(t, eb, url, WithExport(), WithImport(pat), WithJetStream(js))
	put := func(from, to int) { putRange(t, ea, "C.", 4, from, to) }
	put(0, n/2)
	waitFor(t, ctx, first.full, "the first delivery")
	// Kill the node the sender is connected to: its connection moves to
	// another, and the stream and the consumer lose a replica (perhaps
	// their leader).
	victim := ba.Conn().ConnectedUrl()
	for _, s := range srvs {
		if s.ClientURL() == victim {
			s.Stop()
		}
	}
	put(n/2, n)
	waitFor(t, ctx, got.full, fmt.Sprintf("%d distinct messages", n))
	shutdownAll(t, ctx, ba, bb)
	got.check(t, n)
	sa, sb := ba.Stats(), bb.Stats()
	t.Logf("killed %s\nsender %+v\nreceiver %+v", victim, sa, sb)
	if sa.Sent != n || sa.PendingAcks != 0 || sa.PublishErrors != 0 || sb.Received != n {
		t.Errorf("sender acked %d, %d pending, %d failed; receiver got %d; want %d, 0, 0, %d", sa.Sent, sa.PendingAcks, sa.PublishErrors, sb.Received, n, n)
	}
}

package natsbridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
	"github.com/nats-io/nats.go"
)

// An engine that does not keep up makes the connection drop messages as a
// slow consumer: every drop is counted, and the receiver sees the same
// number as a gap once a later message arrives.
func TestSlowConsumerCounted(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{})
	pat := mustParse(t, "S.{x}")
	ea := startEngine(t)
	eb := startEngine(t, engine.WithCapacity(8))
	release, releaseOnce := signal()
	t.Cleanup(releaseOnce)
	var got atomicCounter
	eb.RegisterFunc(pat, func(event.Message) {
		<-release
		got.add()
	})
	ba := startBridge(t, ea, srv, WithExport(pat))
	bb := startBridge(t, eb, srv, WithExport(), WithImport(pat), WithPendingLimit(16))
	const n = 2000
	exported := newRecorder(n)
	ea.RegisterHandler(pat, exported) // after the bridge's handler: runs once it exported
	tp := mustParse(t, "S.x")
	for i := range n {
		if err := ea.Put(tp, int64(i), strings.Repeat("x", 32)); err != nil {
			t.Fatal(err)
		}
	}
	exported.wait(t, ctx)
	// A flush on each connection: the server has taken every message from
	// A, then has written every one to B before its PONG, so B's
	// connection has delivered or dropped each of them.
	if err := ba.Conn().FlushWithContext(ctx); err != nil {
		t.Fatal(err)
	}
	if err := bb.Conn().FlushWithContext(ctx); err != nil {
		t.Fatal(err)
	}
	dropped := bb.Stats().Dropped.SlowConsumer
	if dropped == 0 {
		t.Fatal("no slow-consumer drop counted, with an engine that took at most ~25 of 2000 messages")
	}
	got.expect(uint64(n) - dropped)
	releaseOnce()
	waitFor(t, ctx, got.reached, "the messages that were not dropped")
	// One more message, once the engine keeps up again: the gap shows.
	want := uint64(n) - dropped + 1
	got.expect(want)
	if err := ea.Put(tp, int64(n), "last"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, got.reached, "the last message")
	if err := bb.Shutdown(ctx); err != nil { // the importer has counted its last put
		t.Fatal(err)
	}
	st := bb.Stats()
	if st.Received != want || st.Gaps != dropped || st.SlowConsumerEvents == 0 {
		t.Fatalf("stats %+v: want received %d, gaps = slow-consumer drops = %d, a slow-consumer event", st, want, dropped)
	}
}

// A short disconnection is survived by the connection's reconnect buffer;
// what does not fit is counted as dropped, not hidden, and consumes no
// sequence, so the receiver sees no gap.
func TestReconnectBufferExhaustion(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{Port: -1})
	px := startProxy(t, strings.TrimPrefix(srv.ClientURL(), "nats://"))
	pat := mustParse(t, "R.{x}")
	ea, eb := startEngine(t), startEngine(t)
	down, downOnce := signal()
	up, upOnce := signal()
	ba, err := New(ea, px.url(), quiet, WithExport(pat),
		WithNATSOptions(nats.ReconnectBufSize(2048), nats.ReconnectWait(10*time.Millisecond),
			nats.DisconnectErrHandler(func(*nats.Conn, error) { downOnce() }),
			nats.ReconnectHandler(func(*nats.Conn) { upOnce() })))
	if err != nil {
		t.Fatal(err)
	}
	if err := ba.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ba.Shutdown(context.Background()) })
	bb := startBridgeURL(t, eb, srv.ClientURL(), WithExport(), WithImport(pat))

	recB := newRecorder(10)
	eb.RegisterHandler(pat, recB)
	tp := mustParse(t, "R.x")
	for i := range 10 {
		ea.Put(tp, int64(i))
	}
	recB.wait(t, ctx)

	px.cut()
	waitFor(t, ctx, down, "the disconnection")
	const n = 200
	exported := newRecorder(n)
	ea.RegisterHandler(pat, exported) // after the bridge's handler: runs once it exported
	for i := range n {
		ea.Put(tp, int64(10+i), strings.Repeat("y", 64))
	}
	exported.wait(t, ctx)
	sa := ba.Stats()
	if sa.Dropped.ReconnectBuffer == 0 || sa.Sent+sa.Dropped.ReconnectBuffer != 10+n {
		t.Fatalf("sender stats %+v: want some dropped for the reconnect buffer and sent + dropped = %d", sa, 10+n)
	}
	recB.mu.Lock()
	recB.want, recB.full = int(sa.Sent), make(chan struct{})
	recB.mu.Unlock()
	px.restore()
	waitFor(t, ctx, up, "the reconnection")
	recB.wait(t, ctx)
	if err := bb.Shutdown(ctx); err != nil { // the importer has counted its last put
		t.Fatal(err)
	}
	sb := bb.Stats()
	if sb.Received != sa.Sent || sb.Gaps != 0 {
		t.Fatalf("receiver stats %+v: want received %d (every buffered message) and no gap", sb, sa.Sent)
	}
}

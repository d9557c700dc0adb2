package natsbridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
)

// uniq records the int64 ids (argument 0) a handler receives, and the
// duplicates, and signals when it has want distinct ones.
type uniq struct {
	mu   sync.Mutex
	seen map[int64]int
	dups []int64
	want int
	full chan struct{}
}

func newUniq(want int) *uniq {
	return &uniq{seen: make(map[int64]int), want: want, full: make(chan struct{})}
}

func (u *uniq) Handle(m event.Message) {
	id, ok := event.Arg[int64](m, 0)
	u.mu.Lock()
	defer u.mu.Unlock()
	if !ok {
		u.dups = append(u.dups, -1)
		return
	}
	u.seen[id]++
	if u.seen[id] > 1 {
		u.dups = append(u.dups, id)
	}
	if len(u.seen) == u.want && u.seen[id] == 1 {
		close(u.full)
	}
}

func (u *uniq) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.seen)
}

func (u *uniq) check(t testing.TB, n int) {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.dups) > 0 {
		t.Errorf("%d duplicates delivered to the handler: %v", len(u.dups), u.dups[:min(len(u.dups), 10)])
	}
	for i := range int64(n) {
		if u.seen[i] == 0 {
			t.Errorf("message %d lost (%d of %d delivered)", i, len(u.seen), n)
			return
		}
	}
}

// fastJS keeps the waits of a JetStream test short.
func fastJS(durable string) JetStream {
	return JetStream{Durable: durable, AckWait: time.Second, AckTimeout: time.Second, RetryWait: 20 * time.Millisecond}
}

// The server stops mid-stream, while the sender keeps publishing, and
// comes back: nothing is lost, and no handler sees a duplicate.
func TestJetStreamServerRestart(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{JetStream: true})
	pat := mustParse(t, "J.{x}")
	ea, eb := startEngine(t), startEngine(t)
	got := newUniq(3000)
	eb.RegisterHandler(pat, got)
	ba := startBridge(t, ea, srv, WithExport(pat), WithJetStream(fastJS("b")))
	bb := startBridge(t, eb, srv, WithExport(), WithImport(pat), WithJetStream(fastJS("b")))
	const n = 3000
	put := func(from, to int) { putRange(t, ea, "J.", 5, from, to) }
	first := newUniq(1)
	eb.RegisterHandler(pat, first)
	put(0, n/3)
	waitFor(t, ctx, first.full, "the first delivery")
	srv.Stop() // messages in flight both ways
	put(n/3, 2*n/3)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	put(2*n/3, n)
	waitFor(t, ctx, got.full, fmt.Sprintf("%d distinct messages", n))
	shutdownAll(t, ctx, ba, bb)
	got.check(t, n)
	sa, sb := ba.Stats(), bb.Stats()
	t.Logf("sender %+v", sa)
	t.Logf("receiver %+v", sb)
	if sa.Sent != n || sa.PendingAcks != 0 || sa.PublishErrors != 0 {
		t.Errorf("sender: %d acked, %d pending, %d failed; want %d, 0, 0", sa.Sent, sa.PendingAcks, sa.PublishErrors, n)
	}
	if sb.Received != n || sb.Gaps != 0 {
		t.Errorf("receiver: %d received, %d gaps; want %d, 0", sb.Received, sb.Gaps, n)
	}
}

// The receiving side shuts down mid-stream and a new engine and bridge
// with the same durable take over: together they deliver every message
// once.
func TestJetStreamReceiverRestart(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{JetStream: true})
	pat := mustParse(t, "K.{x}")
	ea := startEngine(t)
	ba := startBridge(t, ea, srv, WithExport(pat), WithJetStream(fastJS("k")))
	const n = 2000
	put := func(from, to int) { putRange(t, ea, "K.", 3, from, to) }
	// One handler across both receivers: a message delivered by both is a
	// duplicate.
	got := newUniq(n)
	first := newUniq(100)
	e1 := startEngine(t)
	e1.RegisterHandler(pat, got)
	e1.RegisterHandler(pat, first)
	b1 := startBridge(t, e1, srv, WithExport(), WithImport(pat), WithJetStream(fastJS("k")))
	put(0, n/2)
	waitFor(t, ctx, first.full, "the first 100 deliveries")
	if err := b1.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	s1 := b1.Stats()
	put(n/2, n)
	e2 := startEngine(t)
	e2.RegisterHandler(pat, got)
	b2 := startBridge(t, e2, srv, WithExport(), WithImport(pat), WithJetStream(fastJS("k")))
	waitFor(t, ctx, got.full, fmt.Sprintf("%d distinct messages", n))
	shutdownAll(t, ctx, ba, b2)
	got.check(t, n)
	s2 := b2.Stats()
	if s1.Received+s2.Received != n || s1.Gaps+s2.Gaps != 0 {
		t.Errorf("received %d + %d, gaps %d + %d: want %d in all and no gap", s1.Received, s2.Received, s1.Gaps, s2.Gaps, n)
	}
	if s1.Received == 0 || s1.Received == n {
		t.Errorf("the first receiver got %d of %d: the test did not stop it mid-stream", s1.Received, n)
	}
}

// Start sets up the stream and the durable idempotently: a second bridge
// with the same configuration starts, and a configuration that would
// change what the durable is fails with the stream's error, at Start.
func TestJetStreamSetupIdempotent(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{JetStream: true})
	pat := mustParse(t, "I.{x}")
	cfg := fastJS("idem")
	for range 2 {
		e := startEngine(t)
		b := startBridge(t, e, srv, WithExport(), WithImport(pat), WithJetStream(cfg))
		shutdownAll(t, ctx, b)
	}
	cfg.DeliverNew = true // a durable's deliver policy cannot change
	b, err := New(startEngine(t), "x", quiet, InProcess(srv), WithExport(), WithImport(pat), WithJetStream(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx); err == nil {
		b.Shutdown(ctx)
		t.Fatal("a durable changed its deliver policy without an error")
	}
	if err := b.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown after a failed Start: %v", err)
	}
}

// With the server gone for good and the publish window full, the engine's
// loop waits for room; a Shutdown whose context ends gives up on the acks
// and returns, saying how many were left, instead of waiting for ever.
func TestJetStreamShutdownGivesUp(t *testing.T) {
	srv := startServer(t, natsserver.Options{JetStream: true})
	pat := mustParse(t, "G.{x}")
	ea := startEngine(t)
	cfg := fastJS("")
	cfg.MaxPending = 4
	ba := startBridge(t, ea, srv, WithExport(pat), WithJetStream(cfg))
	srv.Stop()
	putRange(t, ea, "G.", 2, 0, 100)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- ba.Shutdown(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrPendingAcks) {
			t.Fatalf("Shutdown: %v, want ErrPendingAcks", err)
		}
		t.Log(err)
	case <-ctxFor(t).Done():
		t.Fatal("Shutdown did not return after its context ended")
	}
}

// Delivery names an imported message (origin, sequence, stream sequence)
// for a handler that runs before the bridge's hook and for one that runs
// after it, and nothing for a local message.
func TestDelivery(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{JetStream: true})
	pat := mustParse(t, "D.{x}")
	ea, eb := startEngine(t), startEngine(t)
	feed := startBridge(t, ea, srv, WithExport(pat), WithJetStream(fastJS("")))
	type seen struct {
		d  Delivery
		ok bool
	}
	before, after := make(chan seen, 10), make(chan seen, 10)
	var recv *Bridge
	eb.RegisterFunc(pat, func(m event.Message) { d, ok := recv.Delivery(m); before <- seen{d, ok} })
	recv = startBridge(t, eb, srv, WithExport(), WithImport(pat), WithJetStream(fastJS("delivery")))
	eb.RegisterFunc(mustParse(t, "D.>"), func(m event.Message) { d, ok := recv.Delivery(m); after <- seen{d, ok} })
	const n = 5
	for i := range n {
		if err := ea.Put(mustParse(t, "D.x"), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		for _, ch := range []chan seen{before, after} {
			var s seen
			select {
			case s = <-ch:
			case <-ctx.Done():
				t.Fatalf("message %d: no delivery", i)
			}
			if !s.ok || s.d.Origin != feed.Origin() || s.d.Seq != uint64(i+1) || s.d.Stream == 0 {
				t.Fatalf("message %d: Delivery = %+v, %v; want origin %#x, sequence %d, a stream sequence", i, s.d, s.ok, feed.Origin(), i+1)
			}
		}
	}
	if _, ok := recv.Delivery(event.Message{Topic: mustParse(t, "D.x"), Args: []any{1}}); ok {
		t.Fatal("Delivery of a local message: ok")
	}
}

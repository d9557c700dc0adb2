package natsbridge

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
	"github.com/eventengine/eventengine/topic"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// inOrder checks that a handler gets the int64 ids (argument 0) 0, 1, 2,
// ... each once and in that order, and signals when it has want of them.
type inOrder struct {
	mu    sync.Mutex
	next  int64
	wrong []string
	want  int64
	full  chan struct{}
}

func newInOrder(want int) *inOrder { return &inOrder{want: int64(want), full: make(chan struct{})} }

func (o *inOrder) Handle(m event.Message) {
	id, ok := event.Arg[int64](m, 0)
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case !ok:
		o.wrong = append(o.wrong, fmt.Sprintf("a message without an int64 id: %v", m.Args))
		return
	case id < o.next:
		o.wrong = append(o.wrong, fmt.Sprintf("%d again after %d", id, o.next-1))
		return
	case id > o.next:
		o.wrong = append(o.wrong, fmt.Sprintf("%d after %d: %d missing", id, o.next-1, id-o.next))
	}
	o.next = id + 1
	if o.next == o.want {
		close(o.full)
	}
}

func (o *inOrder) check(t testing.TB) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.wrong) > 0 {
		t.Errorf("%d deliveries out of order, missing or repeated: %v", len(o.wrong), o.wrong[:min(len(o.wrong), 10)])
	}
	if o.next != o.want {
		t.Errorf("delivered up to %d, want %d", o.next, o.want)
	}
}

// ckptSeq reads the sequence of the checkpoint file at path.
func ckptSeq(t testing.TB, path string) uint64 {
	t.Helper()
	return ckptWord(t, path) &^ ckptDirty
}

// ckptIsDirty reports whether the checkpoint file at path is marked as
// one whose bridge is delivering or died doing so.
func ckptIsDirty(t testing.TB, path string) bool {
	t.Helper()
	return ckptWord(t, path)&ckptDirty != 0
}

func ckptWord(t testing.TB, path string) uint64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 16 {
		t.Fatalf("checkpoint %s: %d bytes", path, len(data))
	}
	return binary.LittleEndian.Uint64(data[8:])
}

func ckptJS(path string) JetStream {
	cfg := fastJS("")
	cfg.Checkpoint = path
	return cfg
}

// The server stops mid-stream, while the sender keeps publishing, and
// comes back: the ordered consumer is made again after the last message
// taken, and the handler gets every message once and in the origin's
// order, where the durable consumer would deliver the lost deliveries
// after later ones (Reordered).
func TestCheckpointServerRestart(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{JetStream: true})
	pat := mustParse(t, "J.{x}")
	path := filepath.Join(t.TempDir(), "ckpt")
	const n = 3000
	ea, eb := startEngine(t), startEngine(t)
	got := newInOrder(n)
	eb.RegisterHandler(pat, got)
	first := newUniq(n / 6)
	eb.RegisterHandler(pat, first)
	ba := startBridge(t, ea, srv, WithExport(pat), WithJetStream(fastJS("")))
	bb := startBridge(t, eb, srv, WithExport(), WithImport(pat), WithJetStream(ckptJS(path)))
	put := func(from, to int) { putRange(t, ea, "J.", 5, from, to) }
	put(0, n/3)
	waitFor(t, ctx, first.full, "the first deliveries")
	srv.Stop() // messages in flight both ways
	put(n/3, 2*n/3)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	put(2*n/3, n)
	waitFor(t, ctx, got.full, fmt.Sprintf("%d messages", n))
	shutdownAll(t, ctx, ba, bb)
	got.check(t)
	sa, sb := ba.Stats(), bb.Stats()
	t.Logf("receiver %+v", sb)
	if sa.Sent != n {
		t.Errorf("sender: %d acked, want %d", sa.Sent, n)
	}
	if sb.Received != n || sb.Gaps != 0 || sb.Reordered != 0 {
		t.Errorf("receiver: %d received, %d gaps, %d reordered; want %d, 0, 0", sb.Received, sb.Gaps, sb.Reordered, n)
	}
	if seq := ckptSeq(t, path); seq != n {
		t.Errorf("checkpoint at stream sequence %d, want %d (the last message)", seq, n)
	}
}

// A receiver shut down mid-stream and a new one on the same checkpoint
// file deliver every message once, in order, with no redelivery at all;
// a new file with DeliverNew starts after the stream's last message.
func TestCheckpointResume(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{JetStream: true})
	pat := mustParse(t, "K.{x}")
	path := filepath.Join(t.TempDir(), "ckpt")
	ea := startEngine(t)
	ba := startBridge(t, ea, srv, WithExport(pat), WithJetStream(fastJS("")))
	const n = 2000
	put := func(from, to int) { putRange(t, ea, "K.", 3, from, to) }
	got := newInOrder(n) // across both receivers
	first := newUniq(100)
	e1 := startEngine(t)
	e1.RegisterHandler(pat, got)
	e1.RegisterHandler(pat, first)
	b1 := startBridge(t, e1, srv, WithExport(), WithImport(pat), WithJetStream(ckptJS(path)))
	put(0, n/2)
	waitFor(t, ctx, first.full, "the first 100 deliveries")
	if err := b1.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	s1 := b1.Stats()
	if seq := ckptSeq(t, path); seq != s1.Received || ckptIsDirty(t, path) {
		t.Errorf("after Shutdown the checkpoint is at %d (dirty %v), and %d were received: want it there, clean", seq, ckptIsDirty(t, path), s1.Received)
	}
	put(n/2, n)
	e2 := startEngine(t)
	e2.RegisterHandler(pat, got)
	b2 := startBridge(t, e2, srv, WithExport(), WithImport(pat), WithJetStream(ckptJS(path)))
	waitFor(t, ctx, got.full, fmt.Sprintf("%d messages", n))
	got.check(t)

	// DeliverNew: a new file starts after message n, and gets the next one.
	later := newInOrder(n + 1)
	later.next = n
	e3 := startEngine(t)
	e3.RegisterHandler(pat, later)
	cfg := ckptJS(filepath.Join(t.TempDir(), "new"))
	cfg.DeliverNew = true
	b3 := startBridge(t, e3, srv, WithExport(), WithImport(pat), WithJetStream(cfg))
	if seq := ckptSeq(t, cfg.Checkpoint); seq != n {
		t.Errorf("a new checkpoint with DeliverNew starts at %d, want %d", seq, n)
	}
	put(n, n+1)
	waitFor(t, ctx, later.full, "the message after the new checkpoint")
	shutdownAll(t, ctx, ba, b2, b3)
	later.check(t)
	s2 := b2.Stats() // b2 got message n too
	if s1.Received+s2.Received != n+1 || s1.Duplicates+s2.Duplicates != 0 || s1.Gaps+s2.Gaps != 0 {
		t.Errorf("received %d + %d, duplicates %d + %d, gaps %d + %d: want %d in all, no duplicate, no gap",
			s1.Received, s2.Received, s1.Duplicates, s2.Duplicates, s1.Gaps, s2.Gaps, n+1)
	}
	if s1.Received == 0 || s1.Received == n {
		t.Errorf("the first receiver got %d of %d: the test did not stop it mid-stream", s1.Received, n)
	}
	if seq := ckptSeq(t, path); seq != n+1 {
		t.Errorf("checkpoint at %d, want %d", seq, n+1)
	}
}

// Start refuses a checkpoint file it cannot trust, saying which file and
// what is wrong with it.
func TestCheckpointRefused(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{JetStream: true})
	pat, other := mustParse(t, "R.{x}"), mustParse(t, "Q.{x}")
	dir := t.TempDir()
	// start starts a receiver of pattern imp with cfg and returns its
	// bridge, or the error of Start (the bridge then shut down).
	start := func(cfg JetStream, imp topic.Topic) (*Bridge, error) {
		b, err := New(startEngine(t), "x", quiet, InProcess(srv), WithExport(), WithImport(imp), WithJetStream(cfg))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Start(ctx); err != nil {
			if serr := b.Shutdown(ctx); serr != nil {
				t.Errorf("Shutdown after a failed Start: %v", serr)
			}
			return nil, err
		}
		t.Cleanup(func() { b.Shutdown(context.Background()) })
		return b, nil
	}
	good := filepath.Join(dir, "good")
	b, err := start(ckptJS(good), pat)
	if err != nil {
		t.Fatal(err)
	}
	valid, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "linux" {
		if _, err := start(ckptJS(good), pat); !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), "in use") {
			t.Errorf("a second bridge on a checkpoint in use: %v, want ErrCheckpoint, in use", err)
		}
	}
	shutdownAll(t, ctx, b)

	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	damaged := func(i int) []byte {
		d := append([]byte(nil), valid...)
		d[i] ^= 0xff
		return d
	}
	for _, c := range []struct {
		name string
		cfg  JetStream
		imp  topic.Topic
		want string
	}{
		{"garbage", ckptJS(write("garbage", []byte("not a checkpoint at all, but long enough"))), pat, "not a checkpoint file"},
		{"empty", ckptJS(write("empty", nil)), pat, "not a checkpoint file"},
		{"truncated", ckptJS(write("truncated", valid[:len(valid)-1])), pat, "damaged"},
		{"format", ckptJS(write("format", damaged(7))), pat, "format"},
		{"header", ckptJS(write("header", damaged(30))), pat, "checksum"},
		{"stream", func() JetStream {
			c := ckptJS(write("stream", valid))
			c.Stream, c.Subjects = "OTHER", []string{"other.>"}
			return c
		}(), pat, "another consumer"},
		{"filters", ckptJS(write("filters", valid)), other, "another consumer"},
		{"directory", ckptJS(dir), pat, "is a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := start(c.cfg, c.imp)
			if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.cfg.Checkpoint) {
				t.Fatalf("Start: %v; want ErrCheckpoint naming %s and saying %q", err, c.cfg.Checkpoint, c.want)
			}
			t.Log(err)
		})
	}

	// The stream deleted and made again: its sequences start over.
	t.Run("recreated", func(t *testing.T) {
		nc, err := nats.Connect("x", srv.ConnectOption())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		if err := js.DeleteStream(ctx, "EVENTENGINE"); err != nil {
			t.Fatal(err)
		}
		cfg := ckptJS(write("recreated", valid))
		_, err = start(cfg, pat)
		if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), "created again") {
			t.Fatalf("Start: %v; want ErrCheckpoint, created again", err)
		}
		t.Log(err)
	})
}

// The receiver's connection is cut (the server stays up) while
// deliveries are on their way, and restored: the deliveries lost in the
// cut come first, then the rest, in order. (A durable consumer delivers
// the lost ones again after AckWait, behind later ones: Reordered.)
func TestCheckpointConnectionCut(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{Port: -1, JetStream: true})
	px := startProxy(t, strings.TrimPrefix(srv.ClientURL(), "nats://"))
	pat := mustParse(t, "C.{x}")
	path := filepath.Join(t.TempDir(), "ckpt")
	const n = 20000
	ea, eb := startEngine(t), startEngine(t)
	got := newInOrder(n)
	eb.RegisterHandler(pat, got)
	mid := newUniq(n / 4)
	eb.RegisterHandler(pat, mid)
	ba := startBridgeURL(t, ea, srv.ClientURL(), WithExport(pat), WithJetStream(fastJS("")))
	putRange(t, ea, "C.", 5, 0, n)
	if err := ba.Shutdown(ctx); err != nil { // all of it in the stream
		t.Fatal(err)
	}
	bb := startBridgeURL(t, eb, px.url(), WithExport(), WithImport(pat), WithJetStream(ckptJS(path)))
	waitFor(t, ctx, mid.full, "a quarter of the deliveries")
	px.cut()
	px.restore()
	waitFor(t, ctx, got.full, fmt.Sprintf("%d messages", n))
	shutdownAll(t, ctx, bb)
	got.check(t)
	sb := bb.Stats()
	t.Logf("receiver %+v", sb)
	if sb.Received != n || sb.Reordered != 0 || sb.Disconnects == 0 {
		t.Errorf("receiver: %d received, %d reordered, %d disconnections; want %d, 0, at least 1", sb.Received, sb.Reordered, sb.Disconnects, n)
	}
	if seq := ckptSeq(t, path); seq != n {
		t.Errorf("checkpoint at stream sequence %d, want %d (the last message)", seq, n)
	}
}

// The checkpoint file's value is in the file as soon as it is stored,
// through the platform's writer and through the portable pwrite one, and
// a reopened file starts from it; a new file holds the sequence it was
// made with.
func TestCheckpointFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt")
	id := ckptIdentity{stream: "S", filters: []string{"a.>", "b.*"}}
	c, err := openCheckpoint(path, id, 7)
	if err != nil {
		t.Fatal(err)
	}
	if c.load() != 7 || ckptSeq(t, path) != 7 {
		t.Fatalf("a new file made at 7 holds %d (file %d)", c.load(), ckptSeq(t, path))
	}
	c.store(1 << 40)
	if got := ckptSeq(t, path); got != 1<<40 {
		t.Errorf("after a store of %d the file holds %d", uint64(1<<40), got)
	}
	c.w.close()
	c.w = &pwriteSeq{f: c.f}
	c.store(12345)
	if got := ckptSeq(t, path); got != 12345 {
		t.Errorf("pwrite: after a store of 12345 the file holds %d", got)
	}
	if err := c.sync(); err != nil {
		t.Fatal(err)
	}
	c.closed = true // its mapping is gone: close the file alone
	c.f.Close()
	c, err = openCheckpoint(path, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.load() != 12345 || !c.dirty {
		t.Errorf("reopened at %d, dirty %v: want 12345, dirty (no clean close)", c.load(), c.dirty)
	}
	if err := c.close(true); err != nil {
		t.Fatal(err)
	}
	if !ckptIsDirty(t, path) {
		t.Errorf("closed clean without a store of its own: the mark of the process before is gone")
	}
	c.store(99) // after close: ignored, no fault
	if got := ckptSeq(t, path); got != 12345 {
		t.Errorf("a store after close changed the file to %d", got)
	}
	// A store, then a close with a message still on its way: dirty; then
	// one without: clean.
	for _, clean := range []bool{false, true} {
		if c, err = openCheckpoint(path, id, 0); err != nil {
			t.Fatal(err)
		}
		c.store(12346)
		if !ckptIsDirty(t, path) {
			t.Errorf("not marked while delivering")
		}
		if err := c.close(clean); err != nil {
			t.Fatal(err)
		}
		if ckptIsDirty(t, path) == clean || ckptSeq(t, path) != 12346 {
			t.Errorf("close(%v): dirty %v, sequence %d", clean, ckptIsDirty(t, path), ckptSeq(t, path))
		}
	}
	if c, err = openCheckpoint(path, id, 0); err != nil {
		t.Fatal(err)
	}
	if c.dirty || c.load() != 12346 {
		t.Errorf("after a clean close reopened dirty %v at %d", c.dirty, c.load())
	}
	c.close(false)
}

// fakeMsg is a JetStream delivery made by a test: its stream sequence and
// payload.
type fakeMsg struct {
	jetstream.Msg // not called: the methods onOrdered uses are below
	subject       string
	data          []byte
	seq           uint64
}

func (m *fakeMsg) Subject() string { return m.subject }
func (m *fakeMsg) Data() []byte    { return m.data }
func (m *fakeMsg) Metadata() (*jetstream.MsgMetadata, error) {
	return &jetstream.MsgMetadata{Sequence: jetstream.SequencePair{Stream: m.seq}}, nil
}

// A delivery that comes after a later one (the ordered consumer's race
// after a reset, see ordered.go) is put, late, without moving the
// checkpoint back; a true copy is dropped; a message dropped (no
// envelope) moves the checkpoint over it.
func TestCheckpointLateDelivery(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{JetStream: true})
	pat := mustParse(t, "L.{x}")
	path := filepath.Join(t.TempDir(), "ckpt")
	e := startEngine(t)
	got := newRecorder(3)
	e.RegisterHandler(pat, got)
	barrier, passed := signal() // a local message after the first two
	e.RegisterFunc(mustParse(t, "Barrier"), func(event.Message) { passed() })
	b := startBridge(t, e, srv, WithExport(), WithImport(pat), WithJetStream(ckptJS(path)))
	const origin = 77
	msg := func(seq, originSeq uint64) *fakeMsg {
		data := appendEnvelope(nil, envelope{origin: origin, seq: originSeq, topicSeq: originSeq})
		data, err := encode(b.cfg.codec, data, event.Message{Args: []any{int64(originSeq)}})
		if err != nil {
			t.Fatal(err)
		}
		return &fakeMsg{subject: "eventengine.L.a", data: data, seq: seq}
	}
	js := b.js
	js.onOrdered(msg(10, 2))
	js.onOrdered(msg(9, 1)) // overtaken: late
	if err := e.Put(mustParse(t, "Barrier")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, barrier, "the messages before the barrier")
	if seq := ckptSeq(t, path); seq != 10 {
		t.Errorf("after the late delivery the checkpoint is at %d, want 10", seq)
	}
	js.onOrdered(msg(9, 1))  // a copy of it
	js.onOrdered(msg(10, 2)) // a copy
	js.onOrdered(msg(11, 3))
	js.onOrdered(&fakeMsg{subject: "eventengine.L.a", data: []byte("no envelope"), seq: 12}) // dropped: the checkpoint moves over it
	got.wait(t, ctx)
	shutdownAll(t, ctx, b)
	var ids []int64
	for _, m := range got.all() {
		id, _ := event.Arg[int64](m, 0)
		ids = append(ids, id)
	}
	st := b.Stats()
	if fmt.Sprint(ids) != "[2 1 3]" || st.Received != 3 || st.Reordered != 1 || st.Duplicates != 2 {
		t.Errorf("handled %v, received %d, reordered %d, duplicates %d; want [2 1 3], 3, 1, 2", ids, st.Received, st.Reordered, st.Duplicates)
	}
	if st.Dropped.Malformed != 1 {
		t.Errorf("%d dropped as malformed, want 1", st.Dropped.Malformed)
	}
	if seq := ckptSeq(t, path); seq != 12 {
		t.Errorf("checkpoint at %d, want 12", seq)
	}
}

// The ordered consumer of a Checkpoint bridge whose process went away
// (its connection closed, no Shutdown) is deleted by the server after
// JetStream.Inactive, not after nats.go's 5 minutes.
func TestCheckpointInactive(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{JetStream: true})
	nc, err := nats.Connect(nats.DefaultURL, srv.ConnectOption())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	deleted, err := nc.SubscribeSync("$JS.EVENT.ADVISORY.CONSUMER.DELETED.EVENTENGINE.*")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	cfg := ckptJS(filepath.Join(t.TempDir(), "ckpt"))
	cfg.Inactive = 200 * time.Millisecond
	b := startBridge(t, startEngine(t), srv, WithExport(), WithImport(mustParse(t, "I.{x}")), WithJetStream(cfg))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, "EVENTENGINE")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range s.ConsumerNames(ctx).Name() {
		names = append(names, name)
	}
	if len(names) != 1 {
		t.Fatalf("consumers %q, want the bridge's one", names)
	}
	b.nc.Close() // the process dies
	// The server sends the advisory just before it removes the consumer.
	m, err := deleted.NextMsgWithContext(ctx)
	if err != nil {
		t.Fatalf("the ordered consumer of a closed connection was not deleted: %v", err)
	}
	if want := "$JS.EVENT.ADVISORY.CONSUMER.DELETED.EVENTENGINE." + names[0]; m.Subject != want {
		t.Fatalf("advisory %s, want %s", m.Subject, want)
	}
}

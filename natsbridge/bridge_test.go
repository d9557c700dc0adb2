package natsbridge

import (
	"fmt"
	"strings"
	"testing"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
	"github.com/eventengine/eventengine/natsbridge/wire"
)

// Two engines bridged both ways on the same subjects: each delivers every
// message exactly once (its own and the other's), in order per origin, and
// neither exports what it imported.
func TestBothWaysExactlyOnce(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{})
	both := mustParse(t, "Both.{sym}")
	const n = 500
	syms := []string{"AAPL", "MSFT", "GOOG"}

	type side struct {
		name string
		b    *Bridge
		rec  *recorder
	}
	sides := []*side{{name: "A"}, {name: "B"}}
	for _, s := range sides {
		e := startEngine(t)
		s.rec = newRecorder(2 * n)
		if _, err := e.RegisterHandler(both, s.rec); err != nil {
			t.Fatal(err)
		}
		s.b = startBridge(t, e, srv, WithExport(both), WithImport(both), WithName(s.name))
	}
	for i := range n {
		for _, s := range sides {
			tp := mustParse(t, "Both."+syms[i%len(syms)])
			if err := s.b.e.Put(tp, s.name, int64(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, s := range sides {
		s.rec.wait(t, ctx)
	}
	for _, s := range sides {
		if err := s.b.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range sides {
		msgs := s.rec.all()
		if len(msgs) != 2*n {
			t.Errorf("%s: %d messages after shutdown, want %d (an echo?)", s.name, len(msgs), 2*n)
		}
		next := map[string]int64{}
		for _, m := range msgs {
			from, _ := event.Arg[string](m, 0)
			i, ok := event.Arg[int64](m, 1)
			if !ok {
				t.Fatalf("%s: %v: argument 1 is %T, want int64", s.name, m, m.Args[1])
			}
			if i != next[from] {
				t.Fatalf("%s: from %s got #%d, want #%d (order per origin or exactly once broken)", s.name, from, i, next[from])
			}
			next[from]++
			if want := "Both." + syms[i%int64(len(syms))]; m.Topic.String() != want {
				t.Fatalf("%s: #%d on %s, want %s", s.name, i, m.Topic, want)
			}
		}
		st := s.b.Stats()
		if st.Sent != n || st.Received != n || st.Gaps != 0 || st.Duplicates != 0 || st.Dropped.Total() != 0 {
			t.Errorf("%s: stats %+v, want sent = received = %d and nothing lost, duplicated or dropped", s.name, st, n)
		}
	}
}

// A message imported from NATS is not exported again, even through a
// pattern that matches it, while a handler's new message is.
func TestNoEcho(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{})
	all := mustParse(t, "X.{a}")
	ea, eb := startEngine(t), startEngine(t)
	recA, recB := newRecorder(2), newRecorder(2)
	ea.RegisterHandler(all, recA)
	eb.RegisterHandler(all, recB)
	// B forwards what it receives on X.in to X.fwd: a new local message.
	eb.RegisterFunc(mustParse(t, "X.in"), func(m event.Message) {
		eb.TryPut(mustParse(t, "X.fwd"), m.Args...)
	})
	ba := startBridge(t, ea, srv, WithExport(all), WithImport(all))
	bb := startBridge(t, eb, srv, WithExport(all), WithImport(all))
	if err := ea.Put(mustParse(t, "X.in"), "hello"); err != nil {
		t.Fatal(err)
	}
	recA.wait(t, ctx) // X.in (local), X.fwd (from B)
	recB.wait(t, ctx) // X.in (from A), X.fwd (local)
	shutdownAll(t, ctx, ba, bb)
	got := func(r *recorder) string { return fmt.Sprint(r.all()) }
	if len(recA.all()) != 2 || len(recB.all()) != 2 {
		t.Fatalf("A got %s, B got %s: want two messages each", got(recA), got(recB))
	}
	sa, sb := ba.Stats(), bb.Stats()
	if sa.Sent != 1 || sb.Sent != 1 || sa.Received != 1 || sb.Received != 1 {
		t.Fatalf("A %+v\nB %+v\nwant each to send 1 and receive 1", sa, sb)
	}
}

// By default everything is exported; a value the codec cannot encode and a
// topic whose subject is too long are counted and logged, not sent, and the
// messages after them are.
func TestDefaultExportAndRefusals(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{})
	ea, eb := startEngine(t), startEngine(t)
	rec := newRecorder(2)
	eb.RegisterHandler(mustParse(t, "D.{x}"), rec)
	ba := startBridge(t, ea, srv) // default export: >
	bb := startBridge(t, eb, srv, WithExport(), WithImport(mustParse(t, "D.>")))
	long := mustParse(t, "D."+strings.Repeat("x", 4000))
	ea.Put(mustParse(t, "D.a"), int64(1))
	ea.Put(mustParse(t, "D.b"), struct{ unexported int }{}) // no codec for it
	ea.Put(long, int64(2))
	ea.Put(mustParse(t, "D.c"), int64(3))
	rec.wait(t, ctx)
	shutdownAll(t, ctx, ba, bb)
	if got := fmt.Sprint(rec.all()); got != "[#1 D.a args=[1] #2 D.c args=[3]]" {
		t.Errorf("received %s", got)
	}
	sa, sb := ba.Stats(), bb.Stats()
	if sa.Sent != 2 || sa.Dropped.Encode != 1 || sa.Dropped.Subject != 1 || sb.Gaps != 0 {
		t.Errorf("sender %+v, receiver %+v: want 2 sent, 1 encode and 1 subject refusal, no gap", sa, sb)
	}
}

// A topic that several export patterns match, and subscriptions that
// overlap, still give one message.
func TestOverlappingPatterns(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{})
	ea, eb := startEngine(t), startEngine(t)
	rec := newRecorder(3)
	eb.RegisterHandler(mustParse(t, "O.>"), rec)
	ba := startBridge(t, ea, srv, WithExport(mustParse(t, "O.{x}"), mustParse(t, "O.>"), mustParse(t, "O.a")))
	bb := startBridge(t, eb, srv, WithExport(), WithImport(mustParse(t, "O.{x}"), mustParse(t, "O.>")))
	for _, s := range []string{"O.a", "O.b", "O.b.c"} {
		ea.Put(mustParse(t, s), s)
	}
	rec.wait(t, ctx)
	shutdownAll(t, ctx, ba, bb)
	if got := fmt.Sprint(rec.all()); got != "[#1 O.a args=[O.a] #2 O.b args=[O.b] #3 O.b.c args=[O.b.c]]" {
		t.Errorf("received %s", got)
	}
	sa, sb := ba.Stats(), bb.Stats()
	if sa.Sent != 3 || sb.Received != 3 || sb.Duplicates != 2 {
		t.Errorf("sent %d, received %d, duplicates dropped %d: want 3, 3, 2 (O.a and O.b reach both subscriptions)", sa.Sent, sb.Received, sb.Duplicates)
	}
}

// panicky is a codec that panics on a marked value.
type panicky struct{ wire.Codec }

func (p panicky) AppendEncode(dst []byte, args []any, kwargs map[string]any) ([]byte, error) {
	if len(args) > 0 && args[0] == "boom-out" {
		panic("encode boom")
	}
	return p.Codec.AppendEncode(dst, args, kwargs)
}

func (p panicky) Decode(data []byte) ([]any, map[string]any, error) {
	args, kwargs, err := p.Codec.Decode(data)
	if len(args) > 0 && args[0] == "boom-in" {
		panic("decode boom")
	}
	return args, kwargs, err
}

// A codec that panics costs the message it panicked on, counted, and
// nothing else.
func TestCodecPanics(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{})
	ea, eb := startEngine(t), startEngine(t)
	rec := newRecorder(1)
	pat := mustParse(t, "P.{x}")
	eb.RegisterHandler(pat, rec)
	codec := WithCodec(panicky{wire.Binary})
	ba := startBridge(t, ea, srv, WithExport(pat), codec)
	bb := startBridge(t, eb, srv, WithExport(), WithImport(pat), codec)
	tp := mustParse(t, "P.x")
	ea.Put(tp, "boom-out")
	ea.Put(tp, "boom-in")
	ea.Put(tp, "fine")
	rec.wait(t, ctx)
	shutdownAll(t, ctx, ba, bb)
	if got := fmt.Sprint(rec.all()); got != "[#1 P.x args=[fine]]" {
		t.Errorf("received %s", got)
	}
	sa, sb := ba.Stats(), bb.Stats()
	if sa.Dropped.Encode != 1 || sa.Sent != 2 || sb.Dropped.Decode != 1 || sb.Received != 1 {
		t.Errorf("sender %+v\nreceiver %+v\nwant 1 encode drop, 2 sent, 1 decode drop, 1 received", sa, sb)
	}
	if ea.Stats().HandlerPanics != 0 {
		t.Errorf("%d panics reached the engine", ea.Stats().HandlerPanics)
	}
}

// Shutdown right after a burst of puts still exports every one of them:
// it drains the engine, then the connection.
func TestShutdownExportsEverything(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{})
	ea, eb := startEngine(t), startEngine(t)
	const n = 5000
	rec := newRecorder(n)
	pat := mustParse(t, "Z.{x}")
	eb.RegisterHandler(pat, rec)
	bb := startBridge(t, eb, srv, WithExport(), WithImport(pat))
	ba := startBridge(t, ea, srv, WithExport(pat))
	putRange(t, ea, "Z.", 3, 0, n)
	shutdownAll(t, ctx, ba) // the engine may still hold most of the burst
	if ea.Active() {
		t.Error("the engine is still running after the bridge's Shutdown")
	}
	rec.wait(t, ctx)
	shutdownAll(t, ctx, bb)
	if sa, sb := ba.Stats(), bb.Stats(); sa.Sent != n || sb.Received != n || sb.Gaps != 0 {
		t.Errorf("sent %d, received %d, gaps %d; want %d, %d, 0", sa.Sent, sb.Received, sb.Gaps, n, n)
	}
}

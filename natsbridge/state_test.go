package natsbridge

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
	"github.com/eventengine/eventengine/topic"
)

// manyTopics is the number of distinct topics the bound tests go through:
// ten million (a day of a market feed's symbols and order ids, the number
// the issue names); one million under -race, whose instrumentation makes
// each step many times slower, and 100,000 under -short.
func manyTopics() int {
	switch {
	case testing.Short():
		return 100_000
	case raceEnabled:
		return 1_000_000
	}
	return 10_000_000
}

// liveHeap returns the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// maxStateGrowth bounds the live heap the bound tests may add with a limit
// of boundLimit: 2*boundLimit entries of each table and their topics, plus
// the intern table's slots of the burst of topics (about 16 bytes each,
// see package topic). Keeping ten million (or one million) entries would
// take over 1 GiB (100 MiB); the tests measured 1.5 to 2 MiB.
const (
	boundLimit     = 1 << 12
	maxStateGrowth = 16 << 20
)

func TestWithStateLimit(t *testing.T) {
	e := engine.MustNew()
	for _, n := range []int{0, -1, maxStateLimit + 1} {
		_, err := New(e, "unused", WithStateLimit(n))
		if !errors.Is(err, ErrOption) || !strings.Contains(err.Error(), "state limit "+strconv.Itoa(n)) {
			t.Errorf("WithStateLimit(%d): %v, want ErrOption naming the limit", n, err)
		}
	}
	b, err := New(e, "unused")
	if err != nil {
		t.Fatal(err)
	}
	if b.routes.limit != DefaultStateLimit || b.imp.states.limit != DefaultStateLimit {
		t.Errorf("default limits %d, %d; want %d", b.routes.limit, b.imp.states.limit, DefaultStateLimit)
	}
	b, err = New(e, "unused", WithStateLimit(7))
	if err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]int{"routes": b.routes.limit, "subjects": b.imp.subjects.limit,
		"origins": b.imp.origins.limit, "states": b.imp.states.limit} {
		if l != 7 {
			t.Errorf("%s: limit %d, want 7", name, l)
		}
	}
}

// An entry survives while fewer than limit other keys are used since its
// last use, and goes after that.
func TestGens(t *testing.T) {
	g := newGens[int, int](4)
	g.put(0, 100)
	for k := 1; k <= 40; k++ {
		if _, ok := g.get(k); ok {
			t.Fatalf("key %d found before it was put", k)
		}
		g.put(k, k)
		if k%3 == 0 { // 0 is used every third key: kept
			if v, ok := g.get(0); !ok || v != 100 {
				t.Fatalf("after key %d: the key in use is gone (%d, %v)", k, v, ok)
			}
		}
		if g.len() > 8 {
			t.Fatalf("%d entries, limit 4 per generation", g.len())
		}
	}
	if _, ok := g.get(30); ok {
		t.Error("key 30 kept after 10 other keys")
	}
	for _, k := range []int{37, 38, 39, 40} { // the last 4: kept
		if v, ok := g.get(k); !ok || v != k {
			t.Errorf("key %d: %d, %v; want it kept", k, v, ok)
		}
	}
	if g.dropped == 0 || g.swaps == 0 {
		t.Errorf("dropped %d in %d swaps: nothing forgotten", g.dropped, g.swaps)
	}
}

// The sender's routes stay bounded over ten million topics, each exported
// once, through routeOf, envelopeOf and took (export without NATS); a topic
// in use keeps its route and counter all along, and one seen again after it
// was forgotten starts a new run the receiver can tell.
func TestSenderStateBounded(t *testing.T) {
	n := manyTopics()
	b, err := New(engine.MustNew(), "unused", quiet, WithStateLimit(boundLimit))
	if err != nil {
		t.Fatal(err)
	}
	hot := mustParse(t, "Hot.x")
	var hotRoute *route
	var hotSeq uint64
	before := liveHeap()
	const prefix = "Churn.T"
	buf := []byte(prefix)
	for i := range n {
		buf = strconv.AppendInt(buf[:len(prefix)], int64(i), 10)
		tp, err := topic.Parse(string(buf))
		if err != nil {
			t.Fatal(err)
		}
		r := b.routeOf(tp)
		env := b.envelopeOf(r)
		if env.topicSeq != 1 || env.seq != b.seq+1 {
			t.Fatalf("%v: first envelope %+v after origin sequence %d", tp, env, b.seq)
		}
		b.took(r, env)
		if i%16 == 0 {
			r := b.routeOf(hot)
			if hotRoute == nil {
				hotRoute = r
			} else if r != hotRoute {
				t.Fatalf("after %d topics: the route of a topic used every 16 messages was forgotten", i)
			}
			env := b.envelopeOf(r)
			if env.topicSeq != hotSeq+1 || env.epoch != 0 {
				t.Fatalf("after %d topics: hot topic envelope %+v, want topic sequence %d in run 0", i, env, hotSeq+1)
			}
			b.took(r, env)
			hotSeq++
		}
		if b.routes.len() > 2*boundLimit {
			t.Fatalf("after %d topics: %d routes, limit %d per generation", i, b.routes.len(), boundLimit)
		}
	}
	after := liveHeap()
	runtime.KeepAlive(b)
	growth := int64(after) - int64(before)
	t.Logf("%d topics: %d routes held, %d forgotten in %d generations; live heap grew %d bytes",
		n, b.routes.len(), b.routes.dropped, b.routes.swaps, growth)
	if growth > maxStateGrowth {
		t.Errorf("live heap grew %d bytes over %d topics, want at most %d", growth, n, maxStateGrowth)
	}
	if b.routes.dropped < uint64(n-2*boundLimit) {
		t.Errorf("%d routes forgotten of %d", b.routes.dropped, n)
	}
	// The first topic again: forgotten long ago, a new run.
	r := b.routeOf(mustParse(t, prefix+"0"))
	env := b.envelopeOf(r)
	if env.topicSeq != 1 || env.epoch != env.seq {
		t.Fatalf("a forgotten topic again: %+v, want topic sequence 1 in a run of epoch %d", env, env.seq)
	}
	b.took(r, env)
	if env2 := b.envelopeOf(r); env2.topicSeq != 2 || env2.epoch != env.epoch {
		t.Fatalf("its next message: %+v, want topic sequence 2 in the same run (epoch %d)", env2, env.epoch)
	}
}

// admitter feeds an importer messages without NATS, as the core importer
// (or, durable, the JetStream callback) would.
type admitter struct {
	im  *importer
	buf []byte
}

func (a *admitter) admit(subject string, env envelope, durable bool) verdict {
	a.buf = appendEnvelope(a.buf[:0], env)
	a.im.mu.Lock()
	defer a.im.mu.Unlock()
	_, _, _, _, v := a.im.admit(subject, a.buf, durable)
	return v
}

func newImportOnly(t *testing.T, opts ...Option) *Bridge {
	t.Helper()
	b, err := New(engine.MustNew(), "unused", append([]Option{quiet, WithExport(), WithImport(mustParse(t, ">"))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The receiver's windows, origins and subjects stay bounded over ten
// million topics from tens of thousands of origins, each topic sent twice,
// with no false gap or duplicate; a topic in use (every 16 messages) keeps
// its window, so a copy and a loss on it are still seen at the end.
func TestReceiverStateBounded(t *testing.T) {
	n := manyTopics()
	b := newImportOnly(t, WithStateLimit(boundLimit))
	im := &b.imp
	a := &admitter{im: im}
	const hotOrigin = 42
	var hotSeq uint64
	hot := envelope{origin: hotOrigin}
	sendHot := func() verdict {
		hot.seq++
		hot.topicSeq = hotSeq + 1
		hotSeq++
		return a.admit("eventengine.Hot.x", hot, false)
	}
	// Topic i comes from origin originOf(i), 64 topics an origin.
	originOf := func(i int) uint64 { return 1000 + uint64(i/64) }
	seqs := map[uint64]uint64{}
	subject := func(i int) string { return "eventengine.Churn.T" + strconv.Itoa(i) }
	send := func(i int, topicSeq uint64) verdict {
		o := originOf(i)
		seqs[o]++
		return a.admit(subject(i), envelope{origin: o, seq: seqs[o], topicSeq: topicSeq}, false)
	}
	before := liveHeap()
	for i := range n {
		if v := send(i, 1); v != vDeliver {
			t.Fatalf("topic %d, first message: verdict %d", i, v)
		}
		if i > 0 {
			if v := send(i-1, 2); v != vDeliver {
				t.Fatalf("topic %d, second message: verdict %d", i-1, v)
			}
		}
		if i%64 == 2 {
			delete(seqs, originOf(i)-1) // done with it
		}
		if i%16 == 0 {
			if v := sendHot(); v != vDeliver {
				t.Fatalf("after %d topics: hot message %d: verdict %d", i, hotSeq, v)
			}
		}
		if im.states.len() > 2*boundLimit || im.origins.len() > 2*boundLimit || im.subjects.len() > 2*boundLimit {
			t.Fatalf("after %d topics: %d windows, %d origins, %d subjects; limit %d per generation",
				i, im.states.len(), im.origins.len(), im.subjects.len(), boundLimit)
		}
	}
	after := liveHeap()
	runtime.KeepAlive(b)
	growth := int64(after) - int64(before)
	t.Logf("%d topics: %d windows (%d forgotten), %d origins (%d forgotten), %d subjects; live heap grew %d bytes",
		n, im.states.len(), im.states.dropped, im.origins.len(), im.origins.dropped, im.subjects.len(), growth)
	if growth > maxStateGrowth {
		t.Errorf("live heap grew %d bytes over %d topics, want at most %d", growth, n, maxStateGrowth)
	}
	if g, d := b.st.gaps.Load(), b.st.duplicates.Load(); g != 0 || d != 0 {
		t.Fatalf("%d gaps and %d duplicates counted, want none", g, d)
	}
	if im.states.dropped == 0 || im.subjects.dropped == 0 || (n >= 1_000_000 && im.origins.dropped == 0) {
		t.Fatalf("nothing forgotten: windows %d, subjects %d, origins %d", im.states.dropped, im.subjects.dropped, im.origins.dropped)
	}
	// The topic in use: a copy is dropped, a loss counted.
	hot.topicSeq = hotSeq
	if v := a.admit("eventengine.Hot.x", hot, false); v != vDuplicate || b.st.duplicates.Load() != 1 {
		t.Errorf("a copy on the topic in use: verdict %d, %d duplicates; want it dropped", v, b.st.duplicates.Load())
	}
	hotSeq++ // lost
	if v := sendHot(); v != vDeliver || b.st.gaps.Load() != 1 {
		t.Errorf("after a loss on the topic in use: verdict %d, %d gaps; want 1", v, b.st.gaps.Load())
	}
	// A forgotten window starts afresh: no gap though the sender went on.
	seqs[originOf(0)] = 1 << 20
	if v := send(0, 5); v != vDeliver || b.st.gaps.Load() != 1 {
		t.Errorf("a forgotten topic's next message: verdict %d, %d gaps; want it delivered, no new gap", v, b.st.gaps.Load())
	}
}

// The runs of a topic's counter (envelope epochs) at the receiver.
func TestAdmitRuns(t *testing.T) {
	for _, durable := range []bool{false, true} {
		name := "core"
		if durable {
			name = "durable"
		}
		t.Run(name, func(t *testing.T) {
			b := newImportOnly(t)
			a := &admitter{im: &b.imp}
			const subj = "eventengine.R.x"
			check := func(what string, env envelope, want verdict, gaps, dups uint64) {
				t.Helper()
				if v := a.admit(subj, env, durable); v != want || b.st.gaps.Load() != gaps || b.st.duplicates.Load() != dups {
					t.Fatalf("%s %+v: verdict %d, %d gaps, %d duplicates; want %d, %d, %d",
						what, env, v, b.st.gaps.Load(), b.st.duplicates.Load(), want, gaps, dups)
				}
			}
			check("run 0", envelope{7, 1, 1, 0}, vDeliver, 0, 0)
			check("run 0", envelope{7, 2, 2, 0}, vDeliver, 0, 0)
			// The sender forgot the topic: a new run, from 1.
			check("new run", envelope{7, 10, 1, 10}, vDeliver, 0, 0)
			check("new run, copy", envelope{7, 10, 1, 10}, vDuplicate, 0, 1)
			check("new run", envelope{7, 11, 2, 10}, vDeliver, 0, 1)
			// Its first message lost: the new run counts from 1.
			check("newer run, first lost", envelope{7, 30, 2, 29}, vDeliver, 1, 1)
			// A message of an older run has no window: delivered.
			check("older run", envelope{7, 3, 3, 0}, vDeliver, 1, 1)
			check("newer run", envelope{7, 31, 3, 29}, vDeliver, 1, 1)
		})
	}
	// JetStream: a window forgotten while one of its messages is in flight
	// (put, not acked): its redelivery is still known as a copy.
	b := newImportOnly(t, WithStateLimit(1))
	im := &b.imp
	a := &admitter{im: im}
	if v := a.admit("eventengine.F.a", envelope{7, 1, 1, 0}, true); v != vDeliver {
		t.Fatalf("first message: verdict %d", v)
	}
	im.byID[msgKey{7, 1}] = &inflight{key: msgKey{7, 1}}
	for _, s := range []string{"b", "c", "d"} { // forget F.a's window
		a.admit("eventengine.F."+s, envelope{8, 1, 1, 0}, true)
	}
	if _, ok := im.states.get(stateKey{7, mustParse(t, "F.a")}); ok {
		t.Fatal("the window of F.a is still held with a limit of 1")
	}
	if v := a.admit("eventengine.F.a", envelope{7, 1, 1, 0}, true); v != vDuplicate {
		t.Errorf("redelivery of a message in flight whose window was forgotten: verdict %d, want a duplicate", v)
	}
	if v := a.admit("eventengine.F.a", envelope{7, 2, 2, 0}, true); v != vDeliver || b.st.gaps.Load() != 0 {
		t.Errorf("the next message: verdict %d, %d gaps; want delivered, no gap", v, b.st.gaps.Load())
	}
	var nilState *seqState
	nilState.unsee(1, &b.st) // a message without a window: nothing to forget, no panic
}

// Topics forgotten by the sender, the receiver or both come back through
// core NATS with no false gap and no false duplicate: a sender that forgot
// a topic starts a new run of its counter (its epoch tells the receiver),
// a receiver that forgot one starts its window afresh.
func TestEvictedTopicsRestartCleanly(t *testing.T) {
	for _, c := range []struct {
		name                 string
		sendLimit, recvLimit int
	}{
		{"sender forgets", 4, DefaultStateLimit},
		{"receiver forgets", DefaultStateLimit, 4},
		{"both forget", 4, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := ctxFor(t)
			srv := startServer(t, natsserver.Options{})
			pat := mustParse(t, "Ev.>")
			ea, eb := startEngine(t), startEngine(t)
			const rounds, topics, each, churn = 3, 10, 3, 20
			const total = rounds * (topics*each + churn)
			got := newUniq(total)
			eb.RegisterHandler(pat, got)
			ba := startBridge(t, ea, srv, WithExport(pat), WithStateLimit(c.sendLimit))
			bb := startBridge(t, eb, srv, WithExport(), WithImport(pat), WithStateLimit(c.recvLimit))
			exported := newRecorder(total)
			ea.RegisterHandler(pat, exported) // after the bridge's hook: runs once it exported
			id := int64(0)
			put := func(name string) {
				if err := ea.Put(mustParse(t, "Ev."+name), id); err != nil {
					t.Fatal(err)
				}
				id++
			}
			// Each round: 3 messages on each of 10 topics, then 20 topics
			// used once. With a limit of 4, every topic is forgotten
			// before its next round.
			for r := range rounds {
				for i := range topics {
					for range each {
						put("t" + strconv.Itoa(i))
					}
				}
				for j := range churn {
					put("c" + strconv.Itoa(r) + "_" + strconv.Itoa(j))
				}
			}
			// Not a wait for every delivery, which a false duplicate would
			// make a timeout: once A exported everything, a flush on each
			// connection has B's connection hold every message, and B's
			// Shutdown puts and delivers each one.
			exported.wait(t, ctx)
			if err := ba.Conn().FlushWithContext(ctx); err != nil {
				t.Fatal(err)
			}
			if err := bb.Conn().FlushWithContext(ctx); err != nil {
				t.Fatal(err)
			}
			shutdownAll(t, ctx, bb, ba)
			got.check(t, total)
			st := bb.Stats()
			if st.Received != total || st.Gaps != 0 || st.Duplicates != 0 || st.Reordered != 0 {
				t.Errorf("receiver: %d received, %d gaps, %d duplicates, %d reordered; want %d, 0, 0, 0",
					st.Received, st.Gaps, st.Duplicates, st.Reordered, total)
			}
			im := &bb.imp
			im.mu.Lock()
			defer im.mu.Unlock()
			if c.sendLimit == 4 {
				if ba.routes.dropped == 0 {
					t.Error("the sender forgot no route")
				}
				if c.recvLimit != 4 {
					s, ok := im.states.get(stateKey{ba.Origin(), mustParse(t, "Ev.t0")})
					if !ok || s.epoch == 0 {
						t.Errorf("the receiver's window of Ev.t0: %+v, %v; want one of a later run", s, ok)
					}
				}
			}
			if c.recvLimit == 4 && im.states.dropped == 0 {
				t.Error("the receiver forgot no window")
			}
		})
	}
}

// A real loss (the receiver's connection drops messages as a slow
// consumer) on a topic in use is counted as a gap, exactly, while other
// topics are forgotten before and after it, at both ends.
func TestGapCountedAfterEviction(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{})
	pat := mustParse(t, "Gap.>")
	ea := startEngine(t)
	eb := startEngine(t, engine.WithCapacity(8))
	var gate sync.Mutex // held: the receiving engine's handler waits
	var got atomicCounter
	eb.RegisterFunc(pat, func(event.Message) {
		gate.Lock()
		gate.Unlock()
		got.add()
	})
	const limit = 4
	ba := startBridge(t, ea, srv, WithExport(pat), WithStateLimit(limit))
	bb := startBridge(t, eb, srv, WithExport(), WithImport(pat), WithPendingLimit(16), WithStateLimit(limit))
	hot := mustParse(t, "Gap.hot")
	var sent, delivered uint64
	churn := 0
	// A round: the hot topic and 3 new ones, waited for (no drop).
	round := func() {
		got.expect(delivered + 4)
		for k := range 4 {
			tp := hot
			if k > 0 {
				tp = mustParse(t, "Gap.c"+strconv.Itoa(churn))
				churn++
			}
			if err := ea.Put(tp, int64(sent)); err != nil {
				t.Fatal(err)
			}
			sent++
		}
		delivered += 4
		waitFor(t, ctx, got.reached, "a round")
	}
	for range 20 {
		round()
	}
	// The loss: 2000 messages on the hot topic while the receiver's engine
	// is stopped, most dropped by its connection.
	gate.Lock()
	const n = 2000
	exported := newRecorder(n)
	ea.RegisterHandler(hot, exported) // after the bridge's hook: runs once it exported
	for range n {
		if err := ea.Put(hot, int64(sent)); err != nil {
			t.Fatal(err)
		}
		sent++
	}
	exported.wait(t, ctx)
	// As in TestSlowConsumerCounted: after a flush on each connection,
	// B's connection has delivered or dropped every message.
	if err := ba.Conn().FlushWithContext(ctx); err != nil {
		t.Fatal(err)
	}
	if err := bb.Conn().FlushWithContext(ctx); err != nil {
		t.Fatal(err)
	}
	dropped := bb.Stats().Dropped.SlowConsumer
	if dropped == 0 {
		t.Fatal("no slow-consumer drop")
	}
	delivered += n - dropped
	got.expect(delivered)
	gate.Unlock()
	waitFor(t, ctx, got.reached, "the messages not dropped")
	for range 20 { // the first reveals the gap
		round()
	}
	if err := bb.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st := bb.Stats()
	if st.Received != sent-dropped || st.Gaps != dropped || st.Duplicates != 0 {
		t.Errorf("receiver: %d received, %d gaps, %d duplicates; want %d, %d (the drops), 0",
			st.Received, st.Gaps, st.Duplicates, sent-dropped, dropped)
	}
	bb.imp.mu.Lock()
	forgot := bb.imp.states.dropped
	bb.imp.mu.Unlock()
	if forgot == 0 {
		t.Error("the receiver forgot no window")
	}
	if err := ba.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if ba.routes.dropped == 0 {
		t.Error("the sender forgot no route")
	}
}

// JetStream with a small state limit at both ends: every message is
// delivered once, though the sender and the receiver keep forgetting
// topics and the sender starts new runs.
func TestJetStreamStateLimit(t *testing.T) {
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{JetStream: true})
	pat := mustParse(t, "JL.>")
	ea, eb := startEngine(t), startEngine(t)
	const n = 1200
	got := newUniq(n)
	eb.RegisterHandler(pat, got)
	ba := startBridge(t, ea, srv, WithExport(pat), WithJetStream(fastJS("jl")), WithStateLimit(4))
	bb := startBridge(t, eb, srv, WithExport(), WithImport(pat), WithJetStream(fastJS("jl")), WithStateLimit(4))
	// Message i on one of 12 topics, each used for 4 messages in a row.
	for i := range n {
		if err := ea.Put(mustParse(t, "JL.t"+strconv.Itoa(i/4%12)), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, got.full, "every message")
	shutdownAll(t, ctx, ba, bb)
	got.check(t, n)
	sa, sb := ba.Stats(), bb.Stats()
	if sa.Sent != n || sb.Received != n || sb.Gaps != 0 {
		t.Errorf("sent %d, received %d, %d gaps; want %d, %d, 0", sa.Sent, sb.Received, sb.Gaps, n, n)
	}
	if ba.routes.dropped == 0 || bb.imp.states.dropped == 0 {
		t.Errorf("forgotten: %d routes, %d windows; want both", ba.routes.dropped, bb.imp.states.dropped)
	}
}

// The one-entry memo in front of gens never answers for a key the
// generations forgot, nor with a value that was replaced.
func TestGensLastEntry(t *testing.T) {
	g := newGens[string, int](1)
	g.put("a", 1)
	if v, ok := g.get("a"); !ok || v != 1 {
		t.Fatalf("get(a) = %d, %v; want 1, true", v, ok)
	}
	g.put("b", 2)
	g.put("c", 3) // a is forgotten: two generations of one entry hold b and c
	if v, ok := g.get("a"); ok {
		t.Fatalf("get(a) after two swaps = %d, true; want a miss", v)
	}
	g.put("a", 4)
	g.replace("a", 5)
	if v, ok := g.get("a"); !ok || v != 5 {
		t.Fatalf("get(a) after replace = %d, %v; want 5, true", v, ok)
	}
	if v, ok := g.get("c"); !ok || v != 3 {
		t.Fatalf("get(c) = %d, %v; want 3, true (the older generation)", v, ok)
	}
	g.put("d", 6) // c's move left a in the older generation; d's drops it
	if v, ok := g.get("a"); ok {
		t.Fatalf("get(a) after d = %d, true; want a miss", v)
	}
}

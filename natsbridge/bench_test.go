package natsbridge

import (
	"encoding/binary"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
	"github.com/eventengine/eventengine/natsbridge/wire"
	"github.com/eventengine/eventengine/topic"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The benchmarks compare the bridge with raw nats.go on the same server
// (loopback TCP) and the same encoded bytes: about 64 bytes of payload, a
// string argument and an int64.

var benchArg = strings.Repeat("p", 40)

func benchServer(b *testing.B, js bool) *natsserver.Server {
	return startServer(b, natsserver.Options{Port: -1, JetStream: js})
}

func benchConn(b *testing.B, srv *natsserver.Server) *nats.Conn {
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	return nc
}

// benchPayload is what the bridge sends for one benchmark message.
func benchPayload(b *testing.B) []byte {
	p := appendEnvelope(nil, envelope{origin: 1, seq: 1 << 20, topicSeq: 1 << 20})
	p, err := wire.Binary.AppendEncode(p, []any{benchArg, int64(1)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// exportDone counts exported messages (a handler after the bridge's) and
// signals when it has n.
type exportDone struct {
	mu   sync.Mutex
	n    int
	want int
	done chan struct{}
}

func (d *exportDone) reset(want int) {
	d.mu.Lock()
	d.n, d.want, d.done = 0, want, make(chan struct{})
	d.mu.Unlock()
}

func (d *exportDone) Handle(event.Message) {
	d.mu.Lock()
	d.n++
	if d.n == d.want {
		close(d.done)
	}
	d.mu.Unlock()
}

// BenchmarkExport: local puts exported by the bridge (core NATS), against
// BenchmarkRawPublish.
func BenchmarkExport(b *testing.B) {
	srv := benchServer(b, false)
	e := startEngine(b)
	pat := topic.MustParse("Bench.{x}")
	br := startBridgeURL(b, e, srv.ClientURL(), WithExport(pat))
	var d exportDone
	e.RegisterHandler(pat, &d)
	tp := topic.MustParse("Bench.x")
	args := []any{benchArg, int64(1)}
	d.reset(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		e.Put(tp, args...)
	}
	<-d.done
	br.Conn().Flush()
	b.StopTimer()
	if st := br.Stats(); st.Sent != uint64(b.N) {
		b.Fatalf("sent %d of %d", st.Sent, b.N)
	}
}

// BenchmarkRawPublish: nc.Publish of the bytes the bridge sends.
func BenchmarkRawPublish(b *testing.B) {
	srv := benchServer(b, false)
	nc := benchConn(b, srv)
	p := benchPayload(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		nc.Publish("eventengine.Bench.x", p)
	}
	nc.Flush()
}

// BenchmarkEndToEnd: engine A -> NATS -> engine B (core NATS), against
// BenchmarkRawEndToEnd.
func BenchmarkEndToEnd(b *testing.B) { benchEndToEnd(b) }

// BenchmarkEndToEndSpinning is BenchmarkEndToEnd with the engines' loops
// left spinning when idle (WithLoopSpin).
func BenchmarkEndToEndSpinning(b *testing.B) { benchEndToEnd(b, WithLoopSpin()) }

// BenchmarkEndToEndBothWays is BenchmarkEndToEnd with engine B exporting
// every topic (the default), so that its bridge keeps every imported
// message in flight to recognise it and not export it again.
func BenchmarkEndToEndBothWays(b *testing.B) { benchEndToEnd(b, WithExport(topic.MustParse(">"))) }

// benchEndToEnd runs A -> NATS -> B; bopts apply to both bridges, after
// their own options (B exports nothing unless bopts say otherwise).
func benchEndToEnd(b *testing.B, bopts ...Option) {
	srv := benchServer(b, false)
	ea, eb := startEngine(b), startEngine(b)
	pat := topic.MustParse("Bench.{x}")
	startBridgeURL(b, ea, srv.ClientURL(), append([]Option{WithExport(pat)}, bopts...)...)
	bb := startBridgeURL(b, eb, srv.ClientURL(), append([]Option{WithExport(), WithImport(pat), WithPendingLimit(1 << 20)}, bopts...)...)
	var d exportDone
	eb.RegisterHandler(pat, &d)
	tp := topic.MustParse("Bench.x")
	args := []any{benchArg, int64(1)}
	d.reset(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		ea.Put(tp, args...)
	}
	select {
	case <-d.done:
	case <-ctxFor(b).Done():
		b.Fatalf("received %d of %d: %+v", bb.Stats().Received, b.N, bb.Stats())
	}
}

// BenchmarkRawEndToEnd: publish on one connection, count on a
// subscription of another.
func BenchmarkRawEndToEnd(b *testing.B) {
	srv := benchServer(b, false)
	pub, sub := benchConn(b, srv), benchConn(b, srv)
	p := benchPayload(b)
	done := make(chan struct{})
	n := 0
	s, err := sub.Subscribe("eventengine.Bench.*", func(*nats.Msg) {
		n++
		if n == b.N {
			close(done)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	s.SetPendingLimits(1<<20, -1)
	sub.Flush()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		pub.Publish("eventengine.Bench.x", p)
	}
	<-done
}

// BenchmarkJetStreamExport: local puts exported through JetStream until
// every ack is in, against BenchmarkRawJetStreamPublish.
func BenchmarkJetStreamExport(b *testing.B) {
	srv := benchServer(b, true)
	e := startEngine(b)
	pat := topic.MustParse("Bench.{x}")
	br, err := New(e, srv.ClientURL(), quiet, WithExport(pat), WithJetStream(JetStream{Storage: jetstream.MemoryStorage}))
	if err != nil {
		b.Fatal(err)
	}
	if err := br.Start(ctxFor(b)); err != nil {
		b.Fatal(err)
	}
	tp := topic.MustParse("Bench.x")
	args := []any{benchArg, int64(1)}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		e.Put(tp, args...)
	}
	if err := br.Shutdown(ctxFor(b)); err != nil { // waits for every ack
		b.Fatal(err)
	}
	b.StopTimer()
	if st := br.Stats(); st.Sent != uint64(b.N) {
		b.Fatalf("acked %d of %d", st.Sent, b.N)
	}
}

// BenchmarkRawJetStreamPublish: PublishMsgAsync of the same bytes with
// message ids, until every ack is in.
func BenchmarkRawJetStreamPublish(b *testing.B) {
	js, _ := rawStream(b)
	b.ReportAllocs()
	b.ResetTimer()
	rawPublish(b, js)
}

// rawStream returns a JetStream context on a new server and its stream RAW
// (memory storage) of the bridge's subjects.
func rawStream(b *testing.B) (jetstream.JetStream, jetstream.Stream) {
	nc := benchConn(b, benchServer(b, true))
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		b.Fatal(err)
	}
	s, err := js.CreateOrUpdateStream(ctxFor(b), jetstream.StreamConfig{Name: "RAW", Subjects: []string{"eventengine.>"}, Storage: jetstream.MemoryStorage})
	if err != nil {
		b.Fatal(err)
	}
	return js, s
}

// rawPublish publishes b.N messages of the bridge's encoding with message
// ids (PublishMsgAsync) and waits for every ack.
func rawPublish(b *testing.B, js jetstream.JetStream) {
	p := benchPayload(b)
	for i := range b.N {
		m := &nats.Msg{Subject: "eventengine.Bench.x", Data: p,
			Header: nats.Header{jetstream.MsgIDHeader: []string{"1-" + strconv.Itoa(i)}}}
		if _, err := js.PublishMsgAsync(m); err != nil {
			b.Fatal(err)
		}
	}
	ctx := ctxFor(b)
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		b.Fatal(ctx.Err())
	}
}

// BenchmarkOriginEnvelope and BenchmarkOriginHeaders: origin and sequences
// in the payload's envelope (what the bridge does) or in NATS headers.
func BenchmarkOriginEnvelope(b *testing.B) {
	srv := benchServer(b, false)
	nc := benchConn(b, srv)
	body, _ := wire.Binary.AppendEncode(nil, []any{benchArg, int64(1)}, nil)
	var buf []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		buf = appendEnvelope(buf[:0], envelope{origin: 1, seq: uint64(i + 1), topicSeq: uint64(i + 1)})
		buf = append(buf, body...)
		nc.Publish("eventengine.Bench.x", buf)
	}
	nc.Flush()
}

func BenchmarkOriginHeaders(b *testing.B) {
	srv := benchServer(b, false)
	nc := benchConn(b, srv)
	body, _ := wire.Binary.AppendEncode(nil, []any{benchArg, int64(1)}, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		m := &nats.Msg{Subject: "eventengine.Bench.x", Data: body, Header: nats.Header{}}
		m.Header.Set("Ee-Origin", "0000000000000001")
		m.Header.Set("Ee-Seq", strconv.FormatUint(uint64(i+1), 10))
		m.Header.Set("Ee-Topic-Seq", strconv.FormatUint(uint64(i+1), 10))
		nc.PublishMsg(m)
	}
	nc.Flush()
}

// latencies collects one-way latencies and reports their median and 99th
// percentile.
type latencies struct {
	mu   sync.Mutex
	ns   []int64
	want int
	done chan struct{}
}

func newLatencies(n int) *latencies {
	return &latencies{ns: make([]int64, 0, n), want: n, done: make(chan struct{})}
}

func (l *latencies) add(d int64) {
	l.mu.Lock()
	l.ns = append(l.ns, d)
	if len(l.ns) == l.want {
		close(l.done)
	}
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	<-l.done
	b.StopTimer()
	slices.Sort(l.ns)
	b.ReportMetric(float64(l.ns[len(l.ns)/2]), "p50-ns")
	b.ReportMetric(float64(l.ns[len(l.ns)*99/100]), "p99-ns")
}

// latencyGap paces the latency benchmarks at 100 k msgs/s.
const latencyGap = 10 * time.Microsecond

// pace publishes b.N messages latencyGap apart (spinning: a timer is far
// coarser), passing each its send time since base.
func pace(b *testing.B, base time.Time, publish func(sent int64)) {
	next := time.Duration(0)
	for range b.N {
		for time.Since(base) < next {
		}
		publish(int64(time.Since(base)))
		next += latencyGap
	}
}

// BenchmarkLatency: one-way latency of engine A -> NATS -> engine B at
// 100 k msgs/s, against BenchmarkRawLatency. The bridges make the engines'
// loops park when idle (see WithLoopSpin).
func BenchmarkLatency(b *testing.B) { benchLatency(b, nil) }

// BenchmarkLatencyIOYield is BenchmarkLatency with the engines' loops left
// spinning (WithLoopSpin) but parking every 500 us (engine.WithIOYield).
func BenchmarkLatencyIOYield(b *testing.B) {
	benchLatency(b, []Option{WithLoopSpin()}, engine.WithIOYield(500*time.Microsecond))
}

// BenchmarkLatencySpinning is BenchmarkLatency with the engines' loops left
// spinning through the 10 us gaps (WithLoopSpin): they leave no processor
// idle, and the NATS connections' reads wait for Go's 10 ms network poll.
func BenchmarkLatencySpinning(b *testing.B) { benchLatency(b, []Option{WithLoopSpin()}) }

func benchLatency(b *testing.B, bopts []Option, opts ...engine.Option) {
	srv := benchServer(b, false)
	ea, eb := startEngine(b, opts...), startEngine(b, opts...)
	pat := topic.MustParse("Bench.{x}")
	startBridgeURL(b, ea, srv.ClientURL(), append([]Option{WithExport(pat)}, bopts...)...)
	startBridgeURL(b, eb, srv.ClientURL(), append([]Option{WithExport(), WithImport(pat), WithPendingLimit(1 << 20)}, bopts...)...)
	base := time.Now()
	l := newLatencies(b.N)
	eb.RegisterFunc(pat, func(m event.Message) {
		sent, _ := event.Arg[int64](m, 0)
		l.add(int64(time.Since(base)) - sent)
	})
	tp := topic.MustParse("Bench.x")
	b.ResetTimer()
	pace(b, base, func(sent int64) { ea.Put(tp, sent, benchArg) })
	l.report(b)
}

// BenchmarkRawLatency: the same through two raw connections.
func BenchmarkRawLatency(b *testing.B) {
	srv := benchServer(b, false)
	pub, sub := benchConn(b, srv), benchConn(b, srv)
	base := time.Now()
	l := newLatencies(b.N)
	s, err := sub.Subscribe("eventengine.Bench.*", func(m *nats.Msg) {
		l.add(int64(time.Since(base)) - int64(binary.LittleEndian.Uint64(m.Data)))
	})
	if err != nil {
		b.Fatal(err)
	}
	s.SetPendingLimits(1<<20, -1)
	sub.Flush()
	p := benchPayload(b)
	b.ResetTimer()
	pace(b, base, func(sent int64) {
		binary.LittleEndian.PutUint64(p, uint64(sent))
		pub.Publish("eventengine.Bench.x", p)
	})
	l.report(b)
}

// BenchmarkJetStreamImport and BenchmarkJetStreamImportCheckpoint: b.N
// messages already in a stream (memory storage), imported by a bridge
// (durable consumer, acked after the handler; or the ordered consumer with
// a checkpoint) until the handler has them all, against
// BenchmarkRawJetStreamConsume.
func BenchmarkJetStreamImport(b *testing.B) { benchJetStreamImport(b, JetStream{}) }

// BenchmarkJetStreamImportCheckpoint: see BenchmarkJetStreamImport.
func BenchmarkJetStreamImportCheckpoint(b *testing.B) {
	benchJetStreamImport(b, JetStream{Checkpoint: filepath.Join(b.TempDir(), "ckpt")})
}

func benchJetStreamImport(b *testing.B, cfg JetStream) { benchJetStreamImportOpts(b, cfg) }

func benchJetStreamImportOpts(b *testing.B, cfg JetStream, opts ...Option) {
	srv := benchServer(b, true)
	pat := topic.MustParse("Bench.{x}")
	ea := startEngine(b)
	feed := startBridgeURL(b, ea, srv.ClientURL(), WithExport(pat), WithJetStream(JetStream{Storage: jetstream.MemoryStorage}))
	tp := topic.MustParse("Bench.x")
	args := []any{benchArg, int64(1)}
	for range b.N {
		ea.Put(tp, args...)
	}
	if err := feed.Shutdown(ctxFor(b)); err != nil { // every message is in the stream
		b.Fatal(err)
	}
	eb := startEngine(b)
	var d exportDone
	d.reset(b.N)
	eb.RegisterHandler(pat, &d)
	cfg.Storage = jetstream.MemoryStorage
	bb, err := New(eb, srv.ClientURL(), append([]Option{quiet, WithExport(), WithImport(pat), WithJetStream(cfg)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := bb.Start(ctxFor(b)); err != nil {
		b.Fatal(err)
	}
	select {
	case <-d.done:
	case <-ctxFor(b).Done():
		b.Fatalf("imported %d of %d: %+v", bb.Stats().Received, b.N, bb.Stats())
	}
	b.StopTimer()
	if err := bb.Shutdown(ctxFor(b)); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRawJetStreamConsume: b.N messages of the bridge's encoding,
// with message ids as the bridge sends them, in a stream (memory storage),
// consumed by a durable pull consumer (Consume) that acks each one.
func BenchmarkRawJetStreamConsume(b *testing.B) {
	js, s := rawStream(b)
	rawPublish(b, js)
	ctx := ctxFor(b)
	c, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "raw", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 4096})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	cc, err := c.Consume(func(m jetstream.Msg) {
		m.Ack()
		if n++; n == b.N {
			close(done)
		}
	}, jetstream.PullMaxMessages(1024))
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Stop()
	select {
	case <-done:
	case <-ctx.Done():
		b.Fatalf("consumed %d of %d", n, b.N)
	}
}

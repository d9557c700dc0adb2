package natsbridge

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/internal/leakcheck"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
	"github.com/eventengine/eventengine/topic"
	"github.com/nats-io/nats.go"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(runChild(role))
	}
	leakcheck.Main(m)
}

// testTimeout bounds every wait of a test.
const testTimeout = 60 * time.Second

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// startServer starts an embedded server that the test shuts down.
func startServer(t testing.TB, opts natsserver.Options) *natsserver.Server {
	t.Helper()
	s, err := natsserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// startEngine returns a running engine that the test shuts down.
func startEngine(t testing.TB, opts ...engine.Option) *engine.Engine {
	t.Helper()
	e := engine.MustNew(opts...)
	e.Start()
	t.Cleanup(func() { e.Shutdown(context.Background()) })
	return e
}

// startBridge starts a bridge of e through srv (in-process unless url is
// given) and shuts it down at the end of the test if the test did not.
func startBridge(t testing.TB, e *engine.Engine, srv *natsserver.Server, opts ...Option) *Bridge {
	t.Helper()
	return startBridgeURL(t, e, nats.DefaultURL, append([]Option{WithNATSOptions(srv.ConnectOption())}, opts...)...)
}

// startBridgeURL starts a bridge of e to url.
func startBridgeURL(t testing.TB, e *engine.Engine, url string, opts ...Option) *Bridge {
	t.Helper()
	opts = append([]Option{quiet, WithNATSOptions(nats.ReconnectWait(10 * time.Millisecond))}, opts...)
	b, err := New(e, url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctxFor(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		b.Shutdown(ctx)
	})
	return b
}

// quiet keeps the bridges' expected warnings out of the test output.
var quiet = WithLogger(slog.New(slog.DiscardHandler))

func mustParse(t testing.TB, s string) topic.Topic {
	t.Helper()
	tp, err := topic.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// recorder collects the messages a handler receives and signals when it
// has a given number.
type recorder struct {
	mu   sync.Mutex
	msgs []event.Message
	want int
	full chan struct{}
}

func newRecorder(want int) *recorder { return &recorder{want: want, full: make(chan struct{})} }

func (r *recorder) Handle(m event.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	if len(r.msgs) == r.want {
		close(r.full)
	}
}

func (r *recorder) wait(t testing.TB, ctx context.Context) {
	t.Helper()
	select {
	case <-r.full:
	case <-ctx.Done():
		r.mu.Lock()
		n := len(r.msgs)
		r.mu.Unlock()
		t.Fatalf("got %d messages, want %d: %v", n, r.want, ctx.Err())
	}
}

func (r *recorder) all() []event.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Message(nil), r.msgs...)
}

// signal returns a func that closes ch the first time it is called.
func signal() (chan struct{}, func()) {
	ch := make(chan struct{})
	var once sync.Once
	return ch, func() { once.Do(func() { close(ch) }) }
}

func waitFor(t testing.TB, ctx context.Context, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-ctx.Done():
		t.Fatalf("waiting for %s: %v", what, ctx.Err())
	}
}

// atomicCounter counts calls and signals when it reaches an expected count.
type atomicCounter struct {
	mu      sync.Mutex
	n, want uint64
	reached chan struct{}
}

func (c *atomicCounter) add() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if c.reached != nil && c.n == c.want {
		close(c.reached)
	}
}

// expect sets the count to signal (before it is reached).
func (c *atomicCounter) expect(want uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.want, c.reached = want, make(chan struct{})
	if c.n == want {
		close(c.reached)
	}
}

// shutdownAll shuts the bridges down in order, failing on an error.
func shutdownAll(t testing.TB, ctx context.Context, bs ...*Bridge) {
	t.Helper()
	for _, b := range bs {
		if err := b.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// putRange puts messages from..to-1 on e, message i with argument int64(i)
// on topic prefix+"s"+(i%spread).
func putRange(t testing.TB, e *engine.Engine, prefix string, spread, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := e.Put(mustParse(t, prefix+"s"+strconv.Itoa(i%spread)), int64(i)); err != nil {
			t.Fatal(err)
		}
	}
}

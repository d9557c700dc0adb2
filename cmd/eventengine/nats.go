package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/natsbridge"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
	"github.com/eventengine/eventengine/prommetrics"
	"github.com/eventengine/eventengine/topic"
	"github.com/nats-io/nats.go/jetstream"
)

// The demo's roles with --nats.
const (
	roleAll      = "all"      // feed and subscribers in one process, through NATS
	roleFeed     = "feed"     // publishes the feed and exports it
	roleStrategy = "strategy" // imports the feed and runs the subscribers
	roleServer   = "server"   // serves an embedded NATS server for the others
)

// embedded is the --nats value that runs an embedded server in the process.
const embedded = "embedded"

var (
	// feedTopics is what the feed exports and the strategy imports.
	feedTopics = []topic.Topic{topic.MustParse("Market.>")}
	// feedEnd is the feed's last message: its id and how many messages it
	// published, so that a strategy knows when it has everything.
	feedEnd = topic.MustParse("Market.Feed.End")
)

// demoStream is the JetStream stream of the demo (natsbridge's default).
const demoStream = "EVENTENGINE"

// demoAckWait is how long JetStream waits for a strategy's ack before it
// delivers a message again: after a crash, the messages the dead process
// had not acknowledged come to the restarted one this much later.
const demoAckWait = 2 * time.Second

// checkNATSFlags checks the NATS flags of c (set lists the flags given) and
// returns a message for the first bad one, or "".
func checkNATSFlags(c *demoConfig, set map[string]bool) string {
	switch c.role {
	case roleAll, roleFeed, roleStrategy, roleServer:
	default:
		return fmt.Sprintf("--role must be feed, strategy, server or all (feed and strategy in one process); got %q", c.role)
	}
	switch {
	case c.nats == "" && set["role"]:
		return fmt.Sprintf("--role %s needs --nats, the NATS server's URL (nats://127.0.0.1:4222), or --nats embedded with --role all", c.role)
	case c.nats == "" && c.jetStream:
		return "--jetstream needs --nats (embedded, or a NATS server's URL)"
	case c.nats == embedded && (c.role == roleFeed || c.role == roleStrategy):
		return fmt.Sprintf("--role %s is one side of the demo: it needs a server the other side reaches, --nats nats://HOST:PORT (--role server serves one); --nats embedded runs both sides in this process", c.role)
	case c.nats == embedded && c.role == roleServer:
		return "--role server listens on the address --nats gives: --nats nats://127.0.0.1:4222 (a port of 0 picks a free one)"
	case c.state != "" && c.role != roleStrategy:
		return "--state is for --role strategy: it lets a restarted strategy skip what it handled before"
	case set["durable"] && c.role != roleStrategy:
		return "--durable is for --role strategy with --jetstream"
	case c.checkpoint != "" && (c.role != roleStrategy || !c.jetStream):
		return "--checkpoint is for --role strategy with --jetstream"
	case c.checkpoint != "" && set["durable"]:
		return "--checkpoint replaces the durable consumer: give --checkpoint or --durable, not both"
	case c.checkpoint != "" && c.checkpoint == c.state:
		return "--checkpoint and --state must be two files"
	case set["durable"] && (c.durable == "" || strings.ContainsAny(c.durable, ".*> \t\r\n")):
		return fmt.Sprintf("--durable must be a name without '.', '*', '>' or whitespace; got %q", c.durable)
	case set["messages"] && c.messages < 1:
		return fmt.Sprintf("--messages must be at least 1, got %d (leave it out to run for --duration)", c.messages)
	case set["messages"] && (c.role == roleStrategy || c.role == roleServer):
		return fmt.Sprintf("--messages counts the feed's messages: not for --role %s", c.role)
	}
	if c.nats == "" || c.nats == embedded {
		return ""
	}
	if c.role == roleServer {
		if _, _, err := listenAddr(c.nats); err != nil {
			return fmt.Sprintf("--nats %q: %v", c.nats, err)
		}
		return ""
	}
	for u := range strings.SplitSeq(c.nats, ",") {
		if err := checkNATSURL(u); err != nil {
			return fmt.Sprintf("--nats must be %q or a NATS server's URL like nats://127.0.0.1:4222; %q: %v", embedded, u, err)
		}
	}
	return ""
}

// checkNATSURL checks one server URL as nats.Connect takes it.
func checkNATSURL(s string) error {
	u, err := url.Parse(strings.TrimSpace(s))
	switch {
	case err != nil:
		return errors.Unwrap(err)
	case u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss":
		return fmt.Errorf("the scheme must be nats, tls, ws or wss")
	case u.Hostname() == "":
		return fmt.Errorf("no host")
	case u.Port() != "":
		if n, err := strconv.Atoi(u.Port()); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q is not from 1 to 65535", u.Port())
		}
	}
	return nil
}

// listenAddr returns the host and port a server role listens on.
func listenAddr(s string) (string, int, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "nats" || u.Hostname() == "" || u.Port() == "" || u.Path != "" {
		return "", 0, errors.New("want nats://HOST:PORT, like nats://127.0.0.1:4222")
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not from 0 (a free one) to 65535", u.Port())
	}
	if port == 0 {
		port = -1 // natsserver: a free port
	}
	return u.Hostname(), port, nil
}

// runServer serves an embedded NATS server on the address of --nats until
// ctx ends.
func runServer(ctx context.Context, cfg demoConfig, stderr io.Writer) int {
	host, port, _ := listenAddr(cfg.nats)
	srv, err := natsserver.Start(natsserver.Options{Host: host, Port: port, JetStream: cfg.jetStream, Name: "eventengine-demo"})
	if err != nil {
		fmt.Fprintln(stderr, "eventengine demo: --role server:", err)
		return 1
	}
	defer srv.Shutdown()
	js := "off"
	if cfg.jetStream {
		js = "on, files in " + srv.StoreDir() + " (removed at exit)"
	}
	fmt.Fprintf(stderr, "eventengine demo: NATS server listening on %s, JetStream %s; Ctrl-C stops\n", srv.ClientURL(), js)
	if cfg.serving != nil {
		cfg.serving(srv.ClientURL())
	}
	<-ctx.Done()
	fmt.Fprintln(stderr, "eventengine demo: NATS server stopped")
	return 0
}

// bridges are the NATS side of a demo run.
type bridges struct {
	srv    *natsserver.Server // with --nats embedded
	url    string
	feed   *natsbridge.Bridge // exports the feed engine (roles all and feed)
	strat  *natsbridge.Bridge // imports into the subscribers' engine (roles all and strategy)
	feedID uint64             // the feed's id, carried by each of its messages
}

// startBridges starts the server (embedded) and the bridges of cfg's role:
// the strategy's first, so that in core NATS mode it misses nothing.
func startBridges(ctx context.Context, cfg demoConfig, feedE, subE *engine.Engine) (*bridges, error) {
	nb := &bridges{url: cfg.nats}
	var opts []natsbridge.Option
	opts = append(opts, natsbridge.WithLogger(slog.New(slog.DiscardHandler)))
	if cfg.nats == embedded {
		srv, err := natsserver.Start(natsserver.Options{JetStream: cfg.jetStream})
		if err != nil {
			return nil, err
		}
		nb.srv = srv
		opts = append(opts, natsbridge.InProcess(srv))
	}
	fail := func(err error) (*bridges, error) {
		nb.close()
		return nil, err
	}
	if subE != nil {
		o := append(opts, natsbridge.WithName("eventengine demo strategy"))
		if cfg.jetStream {
			o = append(o, natsbridge.WithJetStream(natsbridge.JetStream{Stream: demoStream, Durable: cfg.durable, AckWait: demoAckWait, Checkpoint: cfg.checkpoint}))
		}
		b, err := natsbridge.StartStrategy(ctx, subE, cfg.nats, feedTopics, o...)
		if err != nil {
			return fail(fmt.Errorf("strategy bridge to %s: %w", cfg.nats, err))
		}
		nb.strat = b
	}
	if feedE != nil {
		o := append(opts, natsbridge.WithName("eventengine demo feed"))
		if cfg.jetStream {
			o = append(o, natsbridge.WithJetStream(natsbridge.JetStream{Stream: demoStream}))
		}
		b, err := natsbridge.StartFeed(ctx, feedE, cfg.nats, feedTopics, o...)
		if err != nil {
			return fail(fmt.Errorf("feed bridge to %s: %w", cfg.nats, err))
		}
		nb.feed = b
		nb.feedID = b.Origin()
	}
	return nb, nil
}

// drained reports whether the strategy's durable consumer has nothing
// more to deliver: no message it has not delivered, none delivered and not
// yet acknowledged (with --checkpoint: the checkpoint is at the stream's
// last message). Once the feed's end arrived, a strategy without --state
// then knows that what it did not get was acknowledged before (by an
// earlier run on the durable or the checkpoint), instead of waiting out
// the grace period.
func (nb *bridges) drained(ctx context.Context, cfg demoConfig) bool {
	if nb.strat == nil || !cfg.jetStream {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	js, err := jetstream.New(nb.strat.Conn())
	if err != nil {
		return false
	}
	if cfg.checkpoint != "" {
		s, err := js.Stream(ctx, demoStream)
		return err == nil && s.CachedInfo().State.LastSeq <= nb.strat.CheckpointSeq()
	}
	c, err := js.Consumer(ctx, demoStream, cfg.durable)
	if err != nil {
		return false
	}
	info, err := c.Info(ctx)
	return err == nil && info.NumPending == 0 && info.NumAckPending == 0
}

// close shuts down what is still running, for a failed start; a bridge's
// Shutdown shuts its engine down too.
func (nb *bridges) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, b := range []*natsbridge.Bridge{nb.feed, nb.strat} {
		if b != nil {
			b.Shutdown(ctx)
		}
	}
	if nb.srv != nil {
		nb.srv.Shutdown()
	}
}

// where says where the bridges connect.
func (nb *bridges) where() string {
	if nb.srv != nil {
		return "embedded server"
	}
	return nb.url
}

// summary adds up the bridges' summaries: sent by the feed's, received by
// the strategy's, the losses of both.
func (nb *bridges) summary() *natsbridge.Summary {
	var s natsbridge.Summary
	for _, b := range []*natsbridge.Bridge{nb.feed, nb.strat} {
		if b == nil {
			continue
		}
		x := b.Summary()
		s.Mode = x.Mode
		s.Sent += x.Sent
		s.Received += x.Received
		s.Lost += x.Lost
		s.Duplicates += x.Duplicates
		s.Dropped += x.Dropped
		s.PendingAcks += x.PendingAcks
		s.Reconnects += x.Reconnects
	}
	return &s
}

// named returns the bridges with the names their metrics carry.
func (nb *bridges) named() []namedBridge {
	var out []namedBridge
	if nb.feed != nil {
		out = append(out, namedBridge{"feed", nb.feed})
	}
	if nb.strat != nil {
		out = append(out, namedBridge{"strategy", nb.strat})
	}
	return out
}

// namedBridge is a bridge and the name its metrics carry.
type namedBridge struct {
	name string
	b    *natsbridge.Bridge
}

// promStats converts a bridge's statistics for package prommetrics, which
// does not import natsbridge.
func promStats(b *natsbridge.Bridge) func() prommetrics.BridgeStats {
	return func() prommetrics.BridgeStats {
		s := b.Stats()
		d := s.Dropped
		return prommetrics.BridgeStats{
			Sent: s.Sent, Received: s.Received, PublishErrors: s.PublishErrors, Retries: s.Retries,
			Gaps: s.Gaps, Duplicates: s.Duplicates, Reordered: s.Reordered,
			Reconnects: s.Reconnects, Disconnects: s.Disconnects, PendingAcks: s.PendingAcks,
			Dropped: map[string]uint64{
				"encode": d.Encode, "subject": d.Subject, "reconnect_buffer": d.ReconnectBuffer, "closed": d.Closed,
				"slow_consumer": d.SlowConsumer, "malformed": d.Malformed, "own": d.Own, "filtered": d.Filtered,
				"decode": d.Decode, "engine": d.Engine,
			},
		}
	}
}

// expvarStats is a bridge's expvar value, with the names of its
// Prometheus series (sent_total, dropped_total by reason, ...).
func expvarStats(b *natsbridge.Bridge) func() any {
	read := promStats(b)
	return func() any {
		s := read()
		return map[string]any{
			"sent_total": s.Sent, "received_total": s.Received, "publish_errors_total": s.PublishErrors,
			"publish_retries_total": s.Retries, "gaps_total": s.Gaps, "duplicates_total": s.Duplicates,
			"reordered_total": s.Reordered, "reconnects_total": s.Reconnects, "disconnects_total": s.Disconnects,
			"pending_acks": s.PendingAcks, "dropped_total": s.Dropped,
		}
	}
}

// stateFile is a strategy's record of the feed messages it has handled:
// 16 bytes per message (the feed's id and the message's sequence),
// appended by one write each before the message is acknowledged, so that
// a strategy killed at any moment and started again knows them.
type stateFile struct {
	f     *os.File
	prior map[uint64]*bitset // handled by earlier runs, read at start
	n     uint64             // records read at start
}

const stateRecord = 16

// openState reads the state file at path (creating it) and opens it for
// appending. A partial last record (a write cut by a crash) is dropped.
func openState(path string) (*stateFile, error) {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("--state: %w", err)
	}
	whole := len(b) / stateRecord * stateRecord
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("--state: %w", err)
	}
	if err := f.Truncate(int64(whole)); err != nil {
		f.Close()
		return nil, fmt.Errorf("--state: %w", err)
	}
	if _, err := f.Seek(int64(whole), io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("--state: %w", err)
	}
	s := &stateFile{f: f, prior: map[uint64]*bitset{}}
	for i := 0; i < whole; i += stateRecord {
		id, seq := binary.LittleEndian.Uint64(b[i:]), binary.LittleEndian.Uint64(b[i+8:])
		set := s.prior[id]
		if set == nil {
			set = &bitset{}
			s.prior[id] = set
		}
		if !set.has(seq) {
			set.set(seq)
			s.n++
		}
	}
	return s, nil
}

// record appends one handled message.
func (s *stateFile) record(feed, seq uint64) error {
	var r [stateRecord]byte
	binary.LittleEndian.PutUint64(r[:], feed)
	binary.LittleEndian.PutUint64(r[8:], seq)
	_, err := s.f.Write(r[:])
	return err
}

// handledBefore returns how many messages of feed earlier runs handled.
func (s *stateFile) handledBefore(feed uint64) uint64 {
	if s == nil {
		return 0
	}
	if set := s.prior[feed]; set != nil {
		return set.n
	}
	return 0
}

func (s *stateFile) close() error { return s.f.Close() }

// bitset is a set of sequence numbers.
type bitset struct {
	w []uint64
	n uint64
}

// count returns the size of the set (0 for nil).
func (b *bitset) count() uint64 {
	if b == nil {
		return 0
	}
	return b.n
}

func (b *bitset) has(i uint64) bool {
	return b != nil && i/64 < uint64(len(b.w)) && b.w[i/64]&(1<<(i%64)) != 0
}

func (b *bitset) set(i uint64) {
	for i/64 >= uint64(len(b.w)) {
		b.w = append(b.w, 0)
	}
	if b.w[i/64]&(1<<(i%64)) == 0 {
		b.w[i/64] |= 1 << (i % 64)
		b.n++
	}
}

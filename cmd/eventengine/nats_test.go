package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// TestDemoNATSEmbedded runs the demo through an embedded server, in core
// NATS mode for a duration and in JetStream mode for a count of messages:
// every message the feed published is sent, received and handled once.
func TestDemoNATSEmbedded(t *testing.T) {
	for _, args := range [][]string{
		{"--duration", "300ms", "--rate", "20000"},
		{"--jetstream", "--duration", "1m", "--messages", "3000", "--rate", "20000"},
	} {
		t.Run(strings.Join(args[:1], ""), func(t *testing.T) {
			code, out, errOut := runCmd(t, "", append([]string{"demo", "--nats", "embedded", "--symbols", "6", "--json"}, args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var s demoSummary
			if err := json.Unmarshal([]byte(out), &s); err != nil || s.Bridge == nil {
				t.Fatalf("summary: %v\n%s", err, out)
			}
			b := s.Bridge
			// Sent and received count the feed's end marker too.
			if s.Published == 0 || s.Lost != 0 || s.Received != s.Published || !s.FeedEnded || s.Duplicates != 0 ||
				b.Lost != 0 || b.Sent != s.Published+1 || b.Received != b.Sent || b.PendingAcks != 0 || b.Dropped != 0 {
				t.Fatalf("summary %+v, bridge %+v", s, *b)
			}
			if s.Role != roleAll || s.NATS != "embedded server" || (b.Mode == "jetstream") != (args[0] == "--jetstream") {
				t.Errorf("role %q, nats %q, mode %q", s.Role, s.NATS, b.Mode)
			}
			if args[0] == "--jetstream" && s.Published != 3000 {
				t.Errorf("--messages 3000: published %d", s.Published)
			}
			// The strategy's engine accepted the feed, its end and the ticks.
			if s.Accepted != s.Published+1+uint64(s.TimerTicks) || s.Delivered != s.Accepted || len(s.Hooks) != 5 {
				t.Errorf("accepted %d, delivered %d, published %d, ticks %d, %d hooks", s.Accepted, s.Delivered, s.Published, s.TimerTicks, len(s.Hooks))
			}
		})
	}
	code, out, errOut := runCmd(t, "", "demo", "--nats", "embedded", "--symbols", "6", "--duration", "200ms", "--rate", "10000")
	if code != 0 || !strings.Contains(out, "bridge:   core mode, embedded server, role all\n") || !strings.Contains(out, "handled") ||
		!strings.Contains(out, ", 0 lost\n") {
		t.Errorf("exit %d, stderr %q:\n%s", code, errOut, out)
	}
	fits80(t, out[strings.Index(out, "\nsummary:"):])
}

// TestDemoNATSView draws the terminal view with the bridge's lines: every
// line fits 80 columns and the frame has viewHeight lines.
func TestDemoNATSView(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var b bytes.Buffer
	cfg := demoConfig{duration: time.Second, rate: 10000, symbols: 4, capacity: 128, seed: 1, nats: embedded, role: roleAll, jetStream: true}
	s, err := demo(ctx, cfg, &b, true)
	if err != nil {
		t.Fatal(err)
	}
	if s.Lost != 0 || s.Bridge.Lost != 0 || !s.FeedEnded {
		t.Fatalf("summary %+v", s)
	}
	out := b.String()
	fits80(t, out)
	last := out[strings.LastIndex(out, "eventengine demo: 4 symbols"):]
	if n := strings.Count(last, "\n"); n != viewHeight(cfg) {
		t.Errorf("the last frame has %d lines, viewHeight says %d:\n%s", n, viewHeight(cfg), last)
	}
	want := fmt.Sprintf("bridge    jetstream sent %s  received %s  lost 0  acks 0", group(s.Bridge.Sent), group(s.Bridge.Received))
	if !strings.Contains(last, want) || !strings.Contains(last, "feed ended: "+group(s.Published)+" published") {
		t.Errorf("last frame lacks %q:\n%s", want, last)
	}
}

// TestDemoNATSFlags: the NATS flags are checked before anything runs, with
// a message that names the flag and what is wrong.
func TestDemoNATSFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--nats", "localhost:4222"}, `--nats must be "embedded" or a NATS server's URL like nats://127.0.0.1:4222; "localhost:4222": the scheme must be nats`},
		{[]string{"--nats", "http://127.0.0.1:4222"}, "the scheme must be nats, tls, ws or wss"},
		{[]string{"--nats", "nats://"}, `"nats://": no host`},
		{[]string{"--nats", "nats://127.0.0.1:99999"}, `port "99999" is not from 1 to 65535`},
		{[]string{"--nats", "nats://127.0.0.1:4222,bad"}, `"bad": the scheme must be`},
		{[]string{"--nats", "embedded", "--role", "trader"}, `--role must be feed, strategy, server or all (feed and strategy in one process); got "trader"`},
		{[]string{"--role", "feed"}, "--role feed needs --nats, the NATS server's URL"},
		{[]string{"--role", "all"}, "--role all needs --nats"},
		{[]string{"--jetstream"}, "--jetstream needs --nats"},
		{[]string{"--nats", "embedded", "--role", "strategy"}, "--role strategy is one side of the demo: it needs a server the other side reaches"},
		{[]string{"--nats", "embedded", "--role", "server"}, "--role server listens on the address --nats gives"},
		{[]string{"--nats", "nats://127.0.0.1", "--role", "server"}, "want nats://HOST:PORT"},
		{[]string{"--nats", "embedded", "--state", "x"}, "--state is for --role strategy"},
		{[]string{"--nats", "nats://127.0.0.1:4222", "--role", "strategy", "--durable", "a.b"}, `--durable must be a name without '.', '*', '>' or whitespace; got "a.b"`},
		{[]string{"--nats", "nats://127.0.0.1:4222", "--role", "feed", "--durable", "x"}, "--durable is for --role strategy"},
		{[]string{"--nats", "nats://127.0.0.1:4222", "--role", "strategy", "--checkpoint", "c"}, "--checkpoint is for --role strategy with --jetstream"},
		{[]string{"--nats", "nats://127.0.0.1:4222", "--role", "strategy", "--jetstream", "--checkpoint", "c", "--durable", "d"}, "not both"},
		{[]string{"--nats", "nats://127.0.0.1:4222", "--role", "strategy", "--jetstream", "--checkpoint", "c", "--state", "c"}, "two files"},
		{[]string{"--messages", "0"}, "--messages must be at least 1, got 0"},
		{[]string{"--messages", "-5"}, "--messages must be at least 1, got -5"},
		{[]string{"--nats", "nats://127.0.0.1:4222", "--role", "strategy", "--messages", "5"}, "--messages counts the feed's messages: not for --role strategy"},
	} {
		code, out, errOut := runCmd(t, "", append([]string{"demo"}, c.args...)...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "eventengine demo: ") || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, out, errOut, c.want)
		}
	}
	// A server that is not there: a clear error, exit 1, no hang.
	code, _, errOut := runCmd(t, "", "demo", "--nats", "nats://127.0.0.1:1", "--role", "strategy", "--duration", "5s")
	if code != 1 || !strings.Contains(errOut, "strategy bridge to nats://127.0.0.1:1") {
		t.Errorf("no server: exit %d, %q", code, errOut)
	}
}

// TestDemoNATSMetrics scrapes /metrics and /debug/vars of a run through an
// embedded server after its shutdown: the bridge series agree with the
// summary.
func TestDemoNATSMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var during, after map[string]float64
	var vars []byte
	var duringErr, scrapeErr error
	scraped := make(chan struct{})
	cfg := demoConfig{duration: time.Minute, rate: 10000, symbols: 6, capacity: 256, seed: 1, metricsAddr: "127.0.0.1:0",
		nats: embedded, role: roleAll, jetStream: true,
		serving: func(addr string) {
			go func() { // while the run goes on
				defer close(scraped)
				during, duringErr = scrapeMetrics(addr)
			}()
		},
		finished: func(addr string) {
			if after, scrapeErr = scrapeMetrics(addr); scrapeErr == nil {
				vars, scrapeErr = get("http://" + addr + "/debug/vars")
			}
		},
	}
	s, err := demo(ctx, cfg, io.Discard, false)
	<-scraped
	if err != nil || scrapeErr != nil || duringErr != nil {
		t.Fatalf("demo: %v; scrape during the run: %v, after: %v", err, duringErr, scrapeErr)
	}
	b := s.Bridge
	for _, key := range []string{"eventengine_bridge_sent_total{bridge=feed}", "eventengine_bridge_pending_acks{bridge=feed}",
		"eventengine_bridge_received_total{bridge=strategy}", "eventengine_bridge_dropped_total{bridge=strategy,reason=decode}"} {
		if v, ok := during[key]; !ok || v > float64(b.Sent) {
			t.Errorf("scrape during the run: %s = %v (present %v), sent in all %d", key, v, ok, b.Sent)
		}
	}
	for key, want := range map[string]float64{
		"eventengine_bridge_sent_total{bridge=feed}":                                            float64(b.Sent),
		"eventengine_bridge_received_total{bridge=strategy}":                                    float64(b.Received),
		"eventengine_bridge_received_total{bridge=feed}":                                        0,
		"eventengine_bridge_gaps_total{bridge=strategy}":                                        0,
		"eventengine_bridge_publish_errors_total{bridge=feed}":                                  0,
		"eventengine_bridge_reconnects_total{bridge=feed}":                                      0,
		"eventengine_bridge_pending_acks{bridge=feed}":                                          0,
		"eventengine_bridge_dropped_total{bridge=strategy,reason=slow_consumer}":                0,
		"eventengine_bridge_dropped_total{bridge=feed,reason=encode}":                           0,
		"eventengine_messages_accepted_total":                                                   float64(s.Accepted),
		"eventengine_hook_calls_total{topic=Market.(Equity|Futures).Trade}":                     float64(s.Trades["Equity"] + s.Trades["Futures"]),
		"eventengine_handler_calls_total{handler=view,topic=EventEngine.Internal.Timer.Second}": float64(s.TimerTicks),
	} {
		if got, ok := after[key]; !ok || got != want {
			t.Errorf("%s = %v (present %v), summary says %v", key, got, ok, want)
		}
	}
	if b.Sent == 0 || b.Sent != b.Received {
		t.Errorf("bridge %+v", *b)
	}
	var all struct {
		Eventengine struct{ Bridges map[string]map[string]any }
	}
	if err := json.Unmarshal(vars, &all); err != nil || all.Eventengine.Bridges["feed"]["sent_total"] != float64(b.Sent) ||
		all.Eventengine.Bridges["strategy"]["received_total"] != float64(b.Received) {
		t.Errorf("/debug/vars eventengine.bridges: %v (%v), bridge %+v", all.Eventengine.Bridges, err, *b)
	}
}

// startServer runs the tool's NATS server (--role server, JetStream) as a
// child process on a free loopback port, and returns its URL and a
// function that stops it (SIGTERM) and checks that it said so.
func startServer(ctx context.Context, t *testing.T, bin string) (string, func()) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, "demo", "--role", "server", "--nats", "nats://127.0.0.1:0", "--jetstream")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	listening := regexp.MustCompile(`NATS server listening on (nats://127\.0\.0\.1:[0-9]+), JetStream on`)
	var url string
	for url == "" && sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
		}
	}
	rest := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(stderr)
		rest <- string(b)
	}()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		out := <-rest
		if err := cmd.Wait(); err != nil || !strings.Contains(out, "NATS server stopped") {
			t.Errorf("server: %v, stderr %q", err, out)
		}
	}
	if url == "" {
		stop()
		t.Fatal("the server never said where it listens")
	}
	return url, stop
}

// TestDemoCrossProcess runs the demo as child processes, in JetStream
// mode: a NATS server (--role server) on a free loopback port, a feed, and a
// strategy killed (SIGKILL) mid-stream and started again on the same
// durable and state file. The second strategy's summary accounts for the
// whole feed: nothing lost, nothing handled twice.
func TestDemoCrossProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the tool and runs it as child processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "eventengine")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("state", func(t *testing.T) { crossProcess(ctx, t, bin, true, false) })
	t.Run("no state", func(t *testing.T) { crossProcess(ctx, t, bin, false, false) })
	t.Run("checkpoint", func(t *testing.T) { crossProcess(ctx, t, bin, true, true) })
	t.Run("checkpoint no state", func(t *testing.T) { crossProcess(ctx, t, bin, false, true) })
}

// crossProcess runs a server, a feed and a strategy killed and restarted
// as child processes of bin; withState gives the strategy --state,
// withCheckpoint --checkpoint (instead of the durable).
func crossProcess(ctx context.Context, t *testing.T, bin string, withState, withCheckpoint bool) {
	url, stopServer := startServer(ctx, t, bin)
	defer stopServer()
	state := filepath.Join(t.TempDir(), "strategy.state")
	strategy := []string{"demo", "--role", "strategy", "--nats", url, "--jetstream", "--json", "--symbols", "6"}
	if withState {
		strategy = append(strategy, "--state", state)
	}
	if withCheckpoint {
		strategy = append(strategy, "--checkpoint", filepath.Join(t.TempDir(), "strategy.ckpt"))
	}
	const n = 10000

	// The first strategy, killed once it has handled some of the feed.
	s1 := exec.CommandContext(ctx, bin, strategy...)
	stderr1, err := s1.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s1.Start(); err != nil {
		t.Fatal(err)
	}
	feedCmd := exec.CommandContext(ctx, bin, "demo", "--role", "feed", "--nats", url, "--jetstream", "--json", "--symbols", "6",
		"--messages", fmt.Sprint(n), "--rate", "2500", "--duration", "1m")
	var feedOut, feedErr bytes.Buffer
	feedCmd.Stdout, feedCmd.Stderr = &feedOut, &feedErr
	if err := feedCmd.Start(); err != nil {
		s1.Process.Kill()
		s1.Wait()
		t.Fatal(err)
	}
	handled := regexp.MustCompile(`handled [1-9][0-9,]* `)
	sc := bufio.NewScanner(stderr1)
	seen := false
	for sc.Scan() {
		if handled.MatchString(sc.Text()) {
			seen = true
			break
		}
	}
	s1.Process.Signal(syscall.SIGKILL)
	io.Copy(io.Discard, stderr1) // to the end (the child is dead), before Wait closes the pipe
	s1.Wait()
	if !seen {
		feedCmd.Wait()
		t.Fatalf("the first strategy never reported a handled message (feed: %s)", feedErr.String())
	}
	var before int64
	if withState {
		st, err := os.Stat(state)
		if err != nil {
			t.Fatal(err)
		}
		if before = st.Size() / stateRecord; before < 1 || before >= n {
			t.Errorf("the first strategy handled %d of %d before it was killed: not mid-stream", before, n)
		}
	}

	// The second strategy runs until it has the whole feed.
	s2 := exec.CommandContext(ctx, bin, strategy...)
	var out2, err2 bytes.Buffer
	s2.Stdout, s2.Stderr = &out2, &err2
	runErr := s2.Run()
	if err := feedCmd.Wait(); err != nil {
		t.Errorf("feed: %v\n%s", err, feedErr.String())
	}
	if runErr != nil {
		t.Fatalf("second strategy: %v\n%s", runErr, err2.String())
	}
	var f, s demoSummary
	if err := json.Unmarshal(feedOut.Bytes(), &f); err != nil || f.Bridge == nil {
		t.Fatalf("feed summary: %v\n%s", err, feedOut.String())
	}
	if err := json.Unmarshal(out2.Bytes(), &s); err != nil || s.Bridge == nil {
		t.Fatalf("strategy summary: %v\n%s", err, out2.String())
	}
	if f.Published != n || f.Bridge.Sent != n+1 || f.Bridge.Lost != 0 || f.Bridge.PendingAcks != 0 || f.Role != roleFeed {
		t.Errorf("feed: published %d, bridge %+v", f.Published, *f.Bridge)
	}
	t.Logf("first strategy handled %d; second: handled %d, before %d, acked before %d, skipped %d, duplicates %d, lost %d; bridge %+v",
		before, s.Received, s.HandledBefore, s.AckedBefore, s.Skipped, s.Duplicates, s.Lost, *s.Bridge)
	if !s.FeedEnded || s.Published != n || s.Lost != 0 || s.Duplicates != 0 || s.Bridge.Lost != 0 || s.Role != roleStrategy {
		t.Errorf("second strategy: %+v, bridge %+v", s, *s.Bridge)
	}
	if !withState {
		// What the first run acknowledged is not delivered again.
		if s.AckedBefore == 0 || s.AckedBefore+s.Received != n || s.HandledBefore != 0 {
			t.Errorf("without --state: handled %d, acknowledged before %d, of %d", s.Received, s.AckedBefore, n)
		}
		return
	}
	if s.HandledBefore != uint64(before) || s.HandledBefore+s.Received != n || s.AckedBefore != 0 {
		t.Errorf("with --state: handled %d, before %d (the file had %d), of %d", s.Received, s.HandledBefore, before, n)
	}
	if withCheckpoint && (s.Skipped > 1 || s.Bridge.Duplicates != 0) {
		// Nothing the first run took comes again, but the message its
		// handlers had handled when it died, before the bridge's hook
		// stored its sequence (docs/bridge.md, Checkpoint).
		t.Errorf("with --checkpoint: %d delivered again (skipped), %d duplicates dropped by the bridge; want at most 1, 0", s.Skipped, s.Bridge.Duplicates)
	}
	// The state file holds every feed message once.
	if st, err := os.Stat(state); err != nil || st.Size() != n*stateRecord {
		t.Errorf("state file: %v, %d records", err, st.Size()/stateRecord)
	}
}

// TestStateFile: a strategy's state survives a restart, a partial last
// record (a write cut by a crash) is dropped, and a message an earlier run
// handled is skipped by every hook, counted once as skipped, while a copy
// of one this run handled is a duplicate.
func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.state")
	s, err := openState(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []uint64{1, 2, 3, 2} {
		if err := s.record(7, seq); err != nil {
			t.Fatal(err)
		}
	}
	s.f.Write([]byte{1, 2, 3}) // cut by a crash
	s.close()
	if s, err = openState(path); err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if s.n != 3 || s.handledBefore(7) != 3 || s.handledBefore(8) != 0 || !s.prior[7].has(3) || s.prior[7].has(4) {
		t.Fatalf("state read back: %d records, %d of feed 7", s.n, s.handledBefore(7))
	}
	if st, _ := os.Stat(path); st.Size() != 4*stateRecord {
		t.Errorf("partial record not cut: %d bytes", st.Size())
	}
	st := &demoState{bridged: true, handled: map[uint64]*bitset{}, state: s, complete: make(chan struct{}), ended: make(chan struct{})}
	tick := func(seq uint64) event.Message {
		return event.Message{Topic: topic.MustParse("Market.Data.AAPL"), Args: []any{1.0, int64(1), int64(0), uint64(7), seq}}
	}
	if st.first(tick(2), 3) || !st.before(tick(2), 3) || st.skipped != 1 {
		t.Errorf("a message handled before the restart: first, skipped %d", st.skipped)
	}
	if !st.first(tick(4), 3) || st.before(tick(4), 3) || st.first(tick(4), 3) || st.duplicates != 1 {
		t.Errorf("a new message twice: duplicates %d", st.duplicates)
	}
	st.endID, st.endN = 7, 5
	st.checkComplete()
	if st.isComplete || st.handledOf(7) != 4 {
		t.Fatalf("complete with %d of 5", st.handledOf(7))
	}
	st.first(tick(5), 3)
	if !st.isComplete {
		t.Error("not complete with 5 of 5")
	}
	if s, err := openState(path); err != nil || s.n != 5 {
		t.Errorf("records after the run: %v, %d", err, s.n)
	} else {
		s.close()
	}
}

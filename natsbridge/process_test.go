package natsbridge

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
	"github.com/eventengine/eventengine/topic"
)

// childEnv names the role a re-executed test binary plays (see TestMain).
const childEnv = "NATSBRIDGE_TEST_CHILD"

// runChild is a strategy process: it imports P.> from the JetStream server
// at $NATSBRIDGE_TEST_URL with the durable $NATSBRIDGE_TEST_DURABLE (role
// "strategy") or the checkpoint file $NATSBRIDGE_TEST_CHECKPOINT (role
// "checkpoint"), writes the id of every message its handler gets to
// stdout, one a line (followed by " R" for one Bridge.Delivery marks
// Redelivered), and shuts down when stdin closes.
func runChild(role string) int {
	cfg := JetStream{Durable: os.Getenv("NATSBRIDGE_TEST_DURABLE"), AckWait: time.Second}
	switch role {
	case "strategy":
	case "checkpoint":
		cfg = JetStream{Checkpoint: os.Getenv("NATSBRIDGE_TEST_CHECKPOINT")}
	case "record":
		return runRecordChild()
	default:
		fmt.Fprintln(os.Stderr, "unknown role", role)
		return 2
	}
	e := engine.MustNew()
	pat := topic.MustParse("P.>")
	b, err := New(e, os.Getenv("NATSBRIDGE_TEST_URL"), quiet, WithExport(), WithImport(pat), WithJetStream(cfg))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var line []byte
	e.RegisterFunc(pat, func(m event.Message) {
		id, _ := event.Arg[int64](m, 0)
		line = strconv.AppendInt(line[:0], id, 10)
		if d, _ := b.Delivery(m); d.Redelivered {
			line = append(line, " R"...)
		}
		line = append(line, '\n')
		os.Stdout.Write(line) // what was handled is out before it is acked
	})
	e.Start()
	ctx := context.Background()
	return serveChild(ctx, b, b.Start(ctx))
}

// serveChild runs a child's started bridge b (err: its start failed) until
// stdin closes, then shuts it down; it returns the exit status.
func serveChild(ctx context.Context, b *Bridge, err error) int {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	io.Copy(io.Discard, os.Stdin)
	if err := b.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// runRecordChild is runChild's "record" role: a strategy with
// JetStream.Checkpoint whose handler keeps its own record, the file
// $NATSBRIDGE_TEST_RECORD, of what it handled: one line "id stream" per
// message, in one write, and skips a message whose Delivery.Stream is not
// above the last one recorded (the recipe of Bridge.Delivery). It writes
// each id it records to stdout too.
func runRecordChild() int {
	path := os.Getenv("NATSBRIDGE_TEST_RECORD")
	var last uint64
	if data, err := os.ReadFile(path); err == nil {
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if f := strings.Fields(lines[len(lines)-1]); len(f) == 2 {
			last, _ = strconv.ParseUint(f[1], 10, 64)
		}
	}
	rec, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	e := engine.MustNew()
	pat := topic.MustParse("P.>")
	b, err := New(e, os.Getenv("NATSBRIDGE_TEST_URL"), quiet, WithImport(pat), WithExport(),
		WithJetStream(JetStream{Checkpoint: os.Getenv("NATSBRIDGE_TEST_CHECKPOINT")}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var line []byte
	e.RegisterFunc(pat, func(m event.Message) {
		d, ok := b.Delivery(m)
		if !ok {
			fmt.Fprintln(os.Stderr, "no Delivery for an imported message")
			os.Exit(3)
		}
		if d.Stream <= last {
			return // handled before the last crash: the record says so
		}
		id, _ := event.Arg[int64](m, 0)
		line = strconv.AppendInt(line[:0], id, 10)
		line = append(line, ' ')
		line = strconv.AppendUint(line, d.Stream, 10)
		line = append(line, '\n')
		rec.Write(line) // the effect and its position, in one write
		last = d.Stream
		os.Stdout.Write(line)
	})
	e.Start()
	ctx := context.Background()
	return serveChild(ctx, b, b.Start(ctx))
}

// child is a running strategy process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
}

func startChild(t *testing.T, ctx context.Context, url, durable string) *child {
	t.Helper()
	return startChildEnv(t, ctx, "strategy", "NATSBRIDGE_TEST_URL="+url, "NATSBRIDGE_TEST_DURABLE="+durable)
}

// startChildEnv starts a child process of role with env added.
func startChildEnv(t *testing.T, ctx context.Context, role string, env ...string) *child {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+role), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &child{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout)}
}

// A strategy process killed (SIGKILL) mid-stream and started again on the
// same durable loses nothing. The messages it handled in its last moment,
// whose acks had not reached the server, are delivered again to the new
// process (at least once across a crash; docs/bridge.md): counted here.
func TestJetStreamStrategyKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{Port: -1, JetStream: true})
	ea := startEngine(t)
	feed := startBridgeURL(t, ea, srv.ClientURL(), WithExport(mustParse(t, "P.>")), WithJetStream(fastJS("")))
	const n = 20000
	seen := make(map[int64]int)
	unmarked := 0 // handled again without Delivery.Redelivered
	read := func(c *child, until func() bool) {
		for !until() && c.lines.Scan() {
			id, marked := parseChildLine(t, c.lines.Text())
			if seen[id]++; seen[id] > 1 && !marked {
				unmarked++
			}
		}
	}
	first := startChild(t, ctx, srv.ClientURL(), "strategy")
	putRange(t, ea, "P.", 7, 0, n)
	got := 0
	read(first, func() bool { got++; return got > 2000 })
	first.cmd.Process.Kill()
	read(first, func() bool { return false }) // what it handled before it died
	first.cmd.Wait()
	handledFirst := len(seen)
	if handledFirst >= n {
		t.Fatalf("the first process handled all %d messages before it was killed", n)
	}
	second := startChild(t, ctx, srv.ClientURL(), "strategy")
	read(second, func() bool { return len(seen) == n })
	if len(seen) < n {
		var missing []int64
		for i := range int64(n) {
			if seen[i] == 0 && len(missing) < 20 {
				missing = append(missing, i)
			}
		}
		t.Fatalf("%d of %d handled, first handled %d; missing %v", len(seen), n, handledFirst, missing)
	}
	second.stdin.Close()
	read(second, func() bool { return false }) // what it writes until it exits
	if err := second.cmd.Wait(); err != nil {
		t.Fatalf("second process: %v", err)
	}
	shutdownAll(t, ctx, feed)
	dups := 0
	for i := range int64(n) {
		switch c := seen[i]; {
		case c == 0:
			t.Fatalf("message %d lost", i)
		case c > 1:
			dups += c - 1
		}
	}
	t.Logf("first process handled %d, killed; delivered again after the restart: %d", handledFirst, dups)
	if dups > 4096 {
		t.Errorf("%d delivered again: more than the consumer's MaxAckPending", dups)
	}
	if unmarked > 0 {
		t.Errorf("%d of the %d messages handled again were not marked Redelivered", unmarked, dups)
	}
}

// parseChildLine reads a line of runChild: an id, and whether it was
// marked Redelivered.
func parseChildLine(t *testing.T, line string) (id int64, marked bool) {
	t.Helper()
	text, mark, _ := strings.Cut(line, " ")
	id, err := strconv.ParseInt(text, 10, 64)
	if err != nil || (mark != "" && mark != "R") {
		t.Fatalf("child wrote %q", line)
	}
	return id, mark == "R"
}

// A strategy process with a checkpoint is killed (SIGKILL) several times
// while messages flow, and started again each time on the same file:
// across the runs its handler gets every message, in order, and once,
// but for the one repetition a kill can make (docs/bridge.md,
// Checkpoint): the message whose handler had returned when the process
// died, before the bridge's hook stored its sequence, is the first one the
// next process gets.
func TestCheckpointStrategyKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{Port: -1, JetStream: true})
	ea := startEngine(t)
	feed := startBridgeURL(t, ea, srv.ClientURL(), WithExport(mustParse(t, "P.>")), WithJetStream(fastJS("")))
	path := filepath.Join(t.TempDir(), "ckpt")
	const n, kills, every = 30000, 4, 3000
	var runs [][]int64 // the ids each process handled, in order
	var marks [][]int  // the indexes in runs of those marked Redelivered
	read := func(c *child, until func(int) bool) {
		r := len(runs) - 1
		for !until(len(runs[r])) && c.lines.Scan() {
			id, marked := parseChildLine(t, c.lines.Text())
			if marked {
				marks[r] = append(marks[r], len(runs[r]))
			}
			runs[r] = append(runs[r], id)
		}
	}
	start := func() *child {
		runs, marks = append(runs, nil), append(marks, nil)
		return startChildEnv(t, ctx, "checkpoint", "NATSBRIDGE_TEST_URL="+srv.ClientURL(), "NATSBRIDGE_TEST_CHECKPOINT="+path)
	}
	c := start()
	// Put while the first processes are killed, so that kills land while
	// messages flow both into the stream and out of it.
	putErr := putAsync(ea, n)
	for range kills {
		read(c, func(k int) bool { return k >= every })
		c.cmd.Process.Kill()
		read(c, func(int) bool { return false }) // what it handled before it died
		c.cmd.Wait()
		c = start()
	}
	total := func() (sum int) {
		for _, r := range runs {
			sum += len(r)
		}
		return sum
	}
	// The last process ends with message n-1, whatever the repetitions.
	last := func(k int) bool { r := runs[len(runs)-1]; return k > 0 && r[len(r)-1] == n-1 }
	read(c, last)
	c.stdin.Close()
	read(c, func(int) bool { return false })
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("last process: %v", err)
	}
	if err := <-putErr; err != nil {
		t.Fatal(err)
	}
	shutdownAll(t, ctx, feed)

	next, repeats := int64(0), 0
	for i, r := range runs {
		for j, id := range r {
			switch {
			case id == next:
				next++
			case j == 0 && i > 0 && id == next-1:
				repeats++ // the kill's window: the last message of the run before
				if !slices.Equal(marks[i], []int{0}) {
					t.Errorf("process %d: message %d repeated, not marked Redelivered (marks at %v)", i, id, marks[i])
				}
			default:
				t.Fatalf("process %d, delivery %d: message %d, want %d (runs of %v messages)", i, j, id, next, lens(runs))
			}
		}
		if len(marks[i]) > 1 || len(marks[i]) == 1 && (i == 0 || marks[i][0] != 0) {
			t.Errorf("process %d: marked Redelivered at %v, want at most its first message, after a kill", i, marks[i])
		}
		if i < kills && len(r) < every {
			t.Errorf("process %d handled %d messages before it was killed, want at least %d", i, len(r), every)
		}
	}
	if next != n {
		t.Fatalf("handled messages 0 to %d of %d", next-1, n)
	}
	t.Logf("%d processes, %d killed, handled %v messages (%d in all); %d repeated at a kill", len(runs), kills, lens(runs), total(), repeats)
	if repeats > kills {
		t.Errorf("%d repetitions for %d kills", repeats, kills)
	}
}

// With the recipe of Bridge.Delivery (the handler records each message's
// stream sequence with its effect, in one write, and skips what its record
// already has), a strategy killed mid-stream again and again has handled
// every message exactly once, in order: nothing lost, nothing twice, even
// when a kill lands between a handler's return and the bridge's checkpoint.
func TestCheckpointHandlerRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	ctx := ctxFor(t)
	srv := startServer(t, natsserver.Options{Port: -1, JetStream: true})
	ea := startEngine(t)
	feed := startBridgeURL(t, ea, srv.ClientURL(), WithExport(mustParse(t, "P.>")), WithJetStream(fastJS("")))
	dir := t.TempDir()
	ckpt, record := filepath.Join(dir, "ckpt"), filepath.Join(dir, "record")
	const n, kills, every = 20000, 6, 2000
	start := func() *child {
		return startChildEnv(t, ctx, "record", "NATSBRIDGE_TEST_URL="+srv.ClientURL(),
			"NATSBRIDGE_TEST_CHECKPOINT="+ckpt, "NATSBRIDGE_TEST_RECORD="+record)
	}
	// read reads c's ids until until says stop or c ends, and returns the
	// last one read (-1 if none).
	read := func(c *child, until func(k int, id int64) bool) int64 {
		lastID := int64(-1)
		for k := 0; c.lines.Scan(); k++ {
			f := strings.Fields(c.lines.Text())
			id, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil || len(f) != 2 {
				t.Fatalf("child wrote %q", c.lines.Text())
			}
			lastID = id
			if until(k+1, id) {
				break
			}
		}
		return lastID
	}
	putErr := putAsync(ea, n)
	c := start()
	for range kills {
		read(c, func(k int, _ int64) bool { return k >= every })
		c.cmd.Process.Kill()
		read(c, func(int, int64) bool { return false })
		c.cmd.Wait()
		c = start()
	}
	read(c, func(_ int, id int64) bool { return id == n-1 })
	c.stdin.Close()
	read(c, func(int, int64) bool { return false })
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("last process: %v", err)
	}
	if err := <-putErr; err != nil {
		t.Fatal(err)
	}
	shutdownAll(t, ctx, feed)

	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	next, prevStream := int64(0), uint64(0)
	for i, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(l)
		id, err1 := strconv.ParseInt(f[0], 10, 64)
		stream, err2 := strconv.ParseUint(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("record line %d: %q", i, l)
		}
		if id != next {
			t.Fatalf("record line %d: message %d, want %d (a loss, a copy or a reordering)", i, id, next)
		}
		if stream <= prevStream {
			t.Fatalf("record line %d: stream sequence %d after %d", i, stream, prevStream)
		}
		next, prevStream = next+1, stream
	}
	if next != n {
		t.Fatalf("the record holds messages 0 to %d of %d", next-1, n)
	}
}

func lens(runs [][]int64) []int {
	var out []int
	for _, r := range runs {
		out = append(out, len(r))
	}
	return out
}

// putAsync puts messages 0 to n-1 on P.s0 to P.s6 from a goroutine of its
// own, so that a test can kill processes meanwhile; the channel gets the
// first error, or nil once all are put.
func putAsync(e *engine.Engine, n int) <-chan error {
	errc := make(chan error, 1)
	go func() {
		for i := range n {
			if err := e.Put(topic.MustParse("P.s"+strconv.Itoa(i%7)), int64(i)); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	return errc
}

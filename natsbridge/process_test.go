package natsbridge

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
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
// at $NATSBRIDGE_TEST_URL with the durable $NATSBRIDGE_TEST_DURABLE, writes
// the id of every message its handler gets to stdout, one a line, and
// shuts down when stdin closes.
func runChild(role string) int {
	if role != "strategy" {
		fmt.Fprintln(os.Stderr, "unknown role", role)
		return 2
	}
	e := engine.MustNew()
	pat := topic.MustParse("P.>")
	var line []byte
	e.RegisterFunc(pat, func(m event.Message) {
		id, _ := event.Arg[int64](m, 0)
		line = strconv.AppendInt(line[:0], id, 10)
		line = append(line, '\n')
		os.Stdout.Write(line) // what was handled is out before it is acked
	})
	e.Start()
	ctx := context.Background()
	b, err := StartStrategy(ctx, e, os.Getenv("NATSBRIDGE_TEST_URL"), []topic.Topic{pat}, quiet,
		WithJetStream(JetStream{Durable: os.Getenv("NATSBRIDGE_TEST_DURABLE"), AckWait: time.Second}))
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

// child is a running strategy process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
}

func startChild(t *testing.T, ctx context.Context, url, durable string) *child {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=strategy", "NATSBRIDGE_TEST_URL="+url, "NATSBRIDGE_TEST_DURABLE="+durable)
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
	read := func(c *child, until func() bool) {
		for !until() && c.lines.Scan() {
			id, err := strconv.ParseInt(c.lines.Text(), 10, 64)
			if err != nil {
				t.Fatalf("child wrote %q", c.lines.Text())
			}
			seen[id]++
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
}

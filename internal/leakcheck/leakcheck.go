// Package leakcheck verifies that a test binary leaves no goroutine behind:
// call it from TestMain. It is a small, dependency-free cousin of
// go.uber.org/goleak.
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// ignored are goroutines the runtime and standard library keep for the
// life of the process.
var ignored = []string{
	"testing.(*M).",
	"testing.tRunner",
	"testing.runFuzzing",
	"testing.(*F).",
	"os/signal.loop",
	"os/signal.signal_recv",
	"runtime.goexit0",
	"runtime.ReadTrace",
	"runtime/trace.Start",
	"internal/fuzz.",
}

// Main runs the tests and then fails the binary if goroutines started by
// them are still running (after letting them finish for up to 10 s).
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := wait(10 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "leakcheck: goroutines still running after the tests:\n\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// wait returns the stacks of the leaked goroutines, or "" once there are
// none.
func wait(limit time.Duration) string {
	deadline := time.Now().Add(limit)
	for {
		leaked := Leaked()
		if leaked == "" || time.Now().After(deadline) {
			return leaked
		}
		for range 100 {
			runtime.Gosched()
		}
		time.Sleep(time.Millisecond) // give exiting goroutines a turn; this is not waiting for work
	}
}

// Leaked returns the stacks of running goroutines other than the caller's
// and the ignored ones.
func Leaked() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 || strings.TrimSpace(g) == "" {
			continue // the first is the calling goroutine
		}
		skip := false
		for _, ig := range ignored {
			if strings.Contains(g, ig) {
				skip = true
				break
			}
		}
		if !skip {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

package leakcheck

import (
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestLeakedSeesABlockedGoroutine(t *testing.T) {
	block := make(chan struct{})
	done := make(chan struct{})
	go func() { <-block; close(done) }()
	if l := Leaked(); !strings.Contains(l, "TestLeakedSeesABlockedGoroutine") {
		t.Fatalf("a blocked goroutine was not reported:\n%s", l)
	}
	close(block)
	<-done
	if l := wait(5e9); l != "" {
		t.Fatalf("reported after it ended:\n%s", l)
	}
}

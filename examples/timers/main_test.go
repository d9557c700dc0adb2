package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/eventengine/eventengine/clock"
)

func TestRun(t *testing.T) {
	fc := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var b bytes.Buffer
	err := run(&b, fc, func() { fc.BlockUntil(1); fc.Advance(250 * time.Millisecond) })
	if err != nil {
		t.Fatal(err)
	}
	want := "timer topic: EventEngine.Internal.Timer.250ms\ntick 1 at first+0s\ntick 2 at first+250ms\ntick 3 at first+500ms\n"
	if b.String() != want {
		t.Fatalf("got %q", b.String())
	}
}

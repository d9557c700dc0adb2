package event

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/eventengine/eventengine/clock"
)

// records decodes the JSON log records in buf.
func records(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("bad record %q: %v", line, err)
		}
		out = append(out, rec)
	}
	buf.Reset()
	return out
}

func stormHandler(Message) { panic("storm") }

// A handler's first panics are logged in full, with the stack from the
// frame that panicked; after them, one summary per interval at most, with
// the panics since the last record. Driven by a fake clock.
func TestPanicLogDetailThenSummaries(t *testing.T) {
	var buf bytes.Buffer
	clk := clock.NewFake(time.Unix(1e9, 0))
	h := NewHook(testTopic, WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))),
		WithPanicLog(3, 10*time.Second), WithClock(clk))
	id := h.AddFunc(stormHandler)
	for range 100 {
		h.Trigger(Message{Topic: testTopic, Seq: 1})
	}
	recs := records(t, &buf)
	if len(recs) != 3 {
		t.Fatalf("%d records for 100 panics in no time, want the 3 in full", len(recs))
	}
	for i, rec := range recs {
		stack := rec["stack"].(string)
		lines := strings.Split(stack, "\n")
		if rec["panic"] != "storm" || rec["handler_id"] != float64(id) || rec["topic"] != "Test.Hook" ||
			!strings.HasPrefix(lines[0], "goroutine ") || !strings.Contains(lines[1], "stormHandler") ||
			strings.Contains(stack, "(*Hook).recovered") || strings.Contains(stack, "runtime/debug") {
			t.Fatalf("record %d: %v", i, rec)
		}
		if _, ok := rec["next"]; ok != (i == 2) {
			t.Fatalf("record %d: says when summaries start: %v", i, ok)
		}
	}
	// The clock is read at panics 1, 2, 4, ... after the last check, at
	// most every maxStride, so a summary comes within maxStride panics.
	summary := func(when string, from uint64) uint64 {
		t.Helper()
		before := h.Panics()
		for range maxStride + 1 {
			h.Trigger(Message{Topic: testTopic, Seq: 2})
		}
		recs := records(t, &buf)
		if len(recs) != 1 {
			t.Fatalf("%s: %d records, want one summary: %v", when, len(recs), recs)
		}
		r := recs[0]
		total, since := uint64(r["panics_total"].(float64)), uint64(r["panics"].(float64))
		if r["last_panic"] != "storm" || r["stack"] != nil || total-since != from || total > before+maxStride+1 {
			t.Fatalf("%s: summary %v after %d panics were logged", when, r, from)
		}
		return total
	}
	clk.Advance(10 * time.Second)
	logged := summary("after 10 s", 3)
	clk.Advance(9 * time.Second)
	for range 3 * maxStride {
		h.Trigger(Message{Topic: testTopic})
	}
	if recs = records(t, &buf); len(recs) != 0 {
		t.Fatalf("a summary before its interval: %v", recs)
	}
	clk.Advance(time.Second)
	summary("after another 10 s", logged)
	want := uint64(100 + 2*(maxStride+1) + 3*maxStride)
	if h.Panics() != want {
		t.Fatalf("Panics %d, want %d", h.Panics(), want)
	}
}

// Two handlers that panic on every message, 100,000 times in a minute
// (how often does not matter past the first few: summaries are bounded in
// time), log well under a megabyte in that minute with the default policy;
// the clock is fake, so the minute passes in milliseconds.
func TestPanicLogVolumeBounded(t *testing.T) {
	var buf bytes.Buffer
	clk := clock.NewFake(time.Unix(1e9, 0))
	h := NewHook(testTopic, WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))), WithClock(clk))
	h.AddFunc(stormHandler)
	h.AddFunc(func(m Message) { var p *int; _ = *p }) // a runtime error too
	const perMinute = 100_000
	const steps = 1000 // clock steps of 60 ms
	for range steps {
		for range perMinute / steps {
			h.Trigger(Message{Topic: testTopic})
		}
		clk.Advance(time.Minute / steps)
	}
	if n := buf.Len(); n >= 1<<20 {
		t.Fatalf("%d bytes of log in a minute", n)
	}
	recs := records(t, &buf)
	t.Logf("%d records, %d panics", len(recs), h.Panics())
	// Per handler: the detailed ones, then a summary every 10 s (the
	// first is due 10 s after the last detailed one).
	if lo, hi := 2*(DefaultPanicDetail+5), 2*(DefaultPanicDetail+6); len(recs) < lo || len(recs) > hi {
		t.Fatalf("%d records for two storming handlers over a minute, want %d to %d", len(recs), lo, hi)
	}
}

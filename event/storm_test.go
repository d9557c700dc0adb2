package event

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/eventengine/eventengine/clock"
)

// Errors that handlers return are logged under the panic log policy, in
// their own count: the first in full, then one summary per interval. A
// handler that fails on every message does not flood the log.
func TestErrorLogDetailThenSummaries(t *testing.T) {
	var buf bytes.Buffer
	clk := clock.NewFake(time.Unix(1e9, 0))
	h := NewHook(testTopic, WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))),
		WithPanicLog(2, 10*time.Second), WithClock(clk))
	bad := errors.New("bad tick")
	id := h.AddErrorFunc(func(Message) error { return bad })
	for range 100 {
		h.Trigger(Message{Topic: testTopic, Seq: 1})
	}
	recs := records(t, &buf)
	if len(recs) != 2 || recs[0]["error"] != "bad tick" || recs[0]["msg"] != "eventengine: handler failed" || recs[1]["next"] == nil {
		t.Fatalf("records for 100 errors in no time: %v", recs)
	}
	clk.Advance(10 * time.Second)
	for range maxStride + 1 {
		h.Trigger(Message{Topic: testTopic, Seq: 2})
	}
	recs = records(t, &buf)
	if len(recs) != 1 || recs[0]["msg"] != "eventengine: handler errors, summarised" || recs[0]["last_error"] != "bad tick" ||
		recs[0]["errors_total"].(float64)-recs[0]["errors"].(float64) != 2 {
		t.Fatalf("summary: %v", recs)
	}
	if s, _ := h.Stats(id); s.Errors != 100+maxStride+1 || s.Panics != 0 || h.Errors() != s.Errors {
		t.Fatalf("stats %+v", s)
	}
}

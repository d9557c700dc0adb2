package expvarstats_test

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/expvarstats"
	"github.com/eventengine/eventengine/internal/leakcheck"
	"github.com/eventengine/eventengine/topic"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// run makes an engine with one hook of two handlers (one panics on B),
// delivers n messages on A and one on B, and stops it.
func run(t *testing.T, n int) *engine.Engine {
	t.Helper()
	e := engine.MustNew(engine.WithHandlerStats(), engine.WithCapacity(64), engine.WithLogger(slog.New(slog.DiscardHandler)))
	tp := topic.MustParse("{x}")
	for _, f := range []func(event.Message){
		func(event.Message) {},
		func(m event.Message) {
			if m.Topic.String() == "B" {
				panic("boom")
			}
		},
	} {
		if _, err := e.RegisterFunc(tp, f); err != nil {
			t.Fatal(err)
		}
	}
	e.Start()
	for range n {
		if err := e.Put(topic.MustParse("A")); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Put(topic.MustParse("B")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v: %s", err, s)
	}
	return m
}

func TestPublish(t *testing.T) {
	e1, e2 := run(t, 3), run(t, 5)
	if err := expvarstats.Publish("test.one", e1); err != nil {
		t.Fatal(err)
	}
	if err := expvarstats.Publish("test.two", e2, expvarstats.WithHandlers()); err != nil {
		t.Fatal(err)
	}
	if err := expvarstats.Publish("test.one", e2); !errors.Is(err, expvarstats.ErrExists) {
		t.Errorf("second Publish of a name: %v, want ErrExists", err)
	}
	expvar.NewInt("test.taken")
	if err := expvarstats.Publish("test.taken", e2); !errors.Is(err, expvarstats.ErrExists) {
		t.Errorf("Publish of a name expvar holds: %v, want ErrExists", err)
	}
	if err := expvarstats.Publish("", e1); err == nil {
		t.Error("empty name accepted")
	}
	if err := expvarstats.Publish("test.nil", nil); err == nil {
		t.Error("nil engine accepted")
	}

	one := decode(t, expvar.Get("test.one").String())
	if one["messages_accepted_total"] != 4.0 || one["messages_delivered_total"] != 4.0 || one["panics_total"] != 1.0 ||
		one["queue_capacity"] != 64.0 || one["loop_running"] != 0.0 || one["generic_hooks"] != 1.0 {
		t.Errorf("test.one: %v", one)
	}
	if _, ok := one["hooks"]; ok {
		t.Error("hooks listed without WithHooks")
	}
	two := decode(t, expvar.Get("test.two").String())
	if two["messages_accepted_total"] != 6.0 {
		t.Errorf("test.two: %v", two)
	}
	hooks := two["hooks"].([]any)
	h := hooks[0].(map[string]any)
	if len(hooks) != 1 || h["topic"] != "{x}" || h["calls_total"] != 12.0 || h["panics_total"] != 1.0 || h["handler_seconds_total"].(float64) <= 0 {
		t.Fatalf("hooks: %v", hooks)
	}
	if hs := h["handlers"].([]any); len(hs) != 2 || hs[0].(map[string]any)["calls_total"] != 6.0 || hs[0].(map[string]any)["name"] == "" {
		t.Errorf("handlers: %v", hs)
	}
}

// TestFuncReadsAtReadTime: the variable is read when it is read, not when
// it is made.
func TestFuncReadsAtReadTime(t *testing.T) {
	e := engine.MustNew()
	v := expvarstats.Func(e)
	if err := e.Put(topic.MustParse("A")); err != nil {
		t.Fatal(err)
	}
	if m := v.Value().(map[string]any); m["messages_accepted_total"] != int64(1) || m["queue_depth"] != int64(1) {
		t.Errorf("%v", m)
	}
}

func TestHandler(t *testing.T) {
	e := run(t, 2)
	srv := httptest.NewServer(expvarstats.Handler("engine", e, expvarstats.WithHooks()))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	all := decode(t, string(b))
	if _, ok := all["memstats"]; !ok || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("expvar's own variables missing: %.200s", b)
	}
	eng, _ := all["engine"].(map[string]any)
	if eng["messages_delivered_total"] != 3.0 || len(eng["hooks"].([]any)) != 1 {
		t.Errorf("engine: %v", eng)
	}
	if expvar.Get("engine") != nil {
		t.Error("Handler published its variable")
	}
}

// TestBridge: the bridges' values are read when the variable is, under
// "bridges" by name, and encode as JSON with the engine's.
func TestBridge(t *testing.T) {
	e := engine.MustNew()
	sent := 1
	v := expvarstats.Func(e, expvarstats.WithBridge("feed", func() any { return map[string]int{"sent_total": sent} }),
		expvarstats.WithBridge("none", nil))
	sent = 2
	var got struct {
		Bridges map[string]map[string]int `json:"bridges"`
	}
	if err := json.Unmarshal([]byte(v.String()), &got); err != nil || len(got.Bridges) != 1 || got.Bridges["feed"]["sent_total"] != 2 {
		t.Errorf("%v: %s", err, v.String())
	}
	if _, ok := expvarstats.Func(e).Value().(map[string]any)["bridges"]; ok {
		t.Error("bridges without WithBridge")
	}
}

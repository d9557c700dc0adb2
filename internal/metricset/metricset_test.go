package metricset

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"testing"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/internal/leakcheck"
	"github.com/eventengine/eventengine/topic"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

type named struct{}

func (named) Handle(event.Message) {}
func (named) Name() string         { return "quotes" }

type plain struct{ n int }

func (*plain) Handle(event.Message) {}

func namedFunc(event.Message) {}

func TestHandlerName(t *testing.T) {
	hook := event.NewHook(topic.MustParse("A.B"))
	for _, c := range []struct {
		h    event.Handler
		want string
	}{
		{named{}, "quotes"},
		{&plain{}, "*metricset.plain"},
		{event.HandlerFunc(namedFunc), "github.com/eventengine/eventengine/internal/metricset.namedFunc"},
		{hook, "hook A.B"},
	} {
		if got := HandlerName(c.h); got != c.want {
			t.Errorf("HandlerName(%T) = %q, want %q", c.h, got, c.want)
		}
	}
	closure := event.HandlerFunc(func(event.Message) {})
	if got := HandlerName(closure); !strings.HasPrefix(got, "github.com/eventengine/eventengine/internal/metricset.TestHandlerName.func") {
		t.Errorf("closure: %q", got)
	}
}

func TestNames(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Engine {
		if seen[m.Name] || m.Help == "" || m.Unit == "" || m.Value == nil || strings.ToLower(m.Name) != m.Name {
			t.Errorf("metric %+v", m)
		}
		seen[m.Name] = true
	}
	c := Metric{Name: "messages_accepted", Kind: Counter}
	if c.FullName() != "eventengine_messages_accepted_total" || c.DottedName() != "eventengine.messages.accepted" {
		t.Errorf("%s %s", c.FullName(), c.DottedName())
	}
	if g := (Metric{Name: "queue_depth", Kind: Gauge}); g.FullName() != "eventengine_queue_depth" {
		t.Error(g.FullName())
	}
}

// TestHooks adds up two registrations of one handler and keeps removed
// handlers in the hook's totals.
func TestHooks(t *testing.T) {
	e := engine.MustNew(engine.WithHandlerStats(), engine.WithLogger(slog.New(slog.DiscardHandler)))
	tp := topic.MustParse("A.{x}")
	f := event.HandlerFunc(namedFunc)
	mustRegister(t, e, tp, f)
	mustRegister(t, e, tp, f)
	id := mustRegister(t, e, tp, named{})
	mustRegister(t, e, topic.MustParse("B"), event.HandlerFunc(func(event.Message) { panic("boom") }))
	e.Start()
	for _, s := range []string{"A.1", "A.2", "B"} {
		if err := e.Put(topic.MustParse(s)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.UnregisterHandler(tp, id); err != nil {
		t.Fatal(err)
	}
	hs := Hooks(e, true)
	if len(hs) != 2 || hs[0].Topic != "A.{x}" || hs[1].Topic != "B" || !hs[0].Timed {
		t.Fatalf("%+v", hs)
	}
	if a := hs[0]; a.Totals.Calls != 6 || a.Totals.Time <= 0 || len(a.Handlers) != 1 || a.Handlers[0].Calls.Calls != 4 ||
		a.Handlers[0].Name != "github.com/eventengine/eventengine/internal/metricset.namedFunc" {
		t.Errorf("A: %+v", a)
	}
	if b := hs[1]; b.Totals.Panics != 1 || b.Totals.Calls != 1 || len(b.Handlers) != 1 || b.Handlers[0].Panics != 1 {
		t.Errorf("B: %+v", b)
	}
	if hs := Hooks(e, false); hs[0].Handlers != nil {
		t.Errorf("handlers listed: %+v", hs[0])
	}
}

func mustRegister(t *testing.T, e *engine.Engine, tp topic.Topic, h event.Handler) event.ID {
	t.Helper()
	id, err := e.RegisterHandler(tp, h)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCallCounters(t *testing.T) {
	seen := map[string]bool{}
	c := Calls{Calls: 7, Panics: 2}
	want := map[string]uint64{"calls": 7, "panics": 2}
	for _, m := range CallCounters {
		if seen[m.Name] || strings.Count(m.Help, "%s") != 1 || m.Unit == "" || m.Value(&c) != want[m.Name] {
			t.Errorf("counter %+v (value %d)", m, m.Value(&c))
		}
		seen[m.Name] = true
	}
}

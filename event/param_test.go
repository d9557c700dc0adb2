package event

import (
	"maps"
	"testing"

	"github.com/eventengine/eventengine/topic"
)

func TestParam(t *testing.T) {
	for _, tc := range []struct {
		pattern, topic string
		want           map[string]string
	}{
		{"Market.Data.{symbol}", "Market.Data.AAPL", map[string]string{"symbol": "AAPL"}},
		{"+kind.Data.{symbol}", "Market.Data.AAPL", map[string]string{"kind": "Market", "symbol": "AAPL"}},
		{"Market.(Data|Trade).{symbol}", "Market.Trade.MSFT", map[string]string{"symbol": "MSFT"}},
		{"Market.Data.AAPL", "Market.Data.AAPL", map[string]string{}},
	} {
		pat := topic.MustParse(tc.pattern)
		msg := topic.MustParse(tc.topic)
		h := NewHook(pat)
		var got map[string]string
		var pattern topic.Topic
		var missing string
		h.AddFunc(func(m Message) {
			got = maps.Collect(m.Params())
			for name, lit := range tc.want {
				if m.Param(name) != lit {
					t.Errorf("%s: Param(%q) = %q, want %q", tc.pattern, name, m.Param(name), lit)
				}
			}
			pattern = m.Pattern()
			missing = m.Param("nope")
		})
		h.Trigger(Message{Topic: msg})
		if !maps.Equal(got, tc.want) || pattern != pat || missing != "" {
			t.Fatalf("%s on %s: Params %v, Pattern %v, Param(nope) %q", tc.pattern, tc.topic, got, pattern, missing)
		}
		// Params agrees with matching the topics again.
		if want := pat.Match(msg).Values(); !maps.Equal(got, want) {
			t.Fatalf("%s on %s: Params %v, Match.Values %v", tc.pattern, tc.topic, got, want)
		}
	}
	// A message no hook delivered binds nothing.
	m := Message{Topic: topic.MustParse("Market.Data.AAPL")}
	if m.Param("symbol") != "" || !m.Pattern().IsZero() || len(maps.Collect(m.Params())) != 0 {
		t.Fatal("a message made by hand has bound values")
	}
	// A hook inside a hook: the inner one delivers, so its topic binds.
	outer := NewHook(topic.MustParse("Market.Data.AAPL"))
	inner := NewHook(topic.MustParse("Market.{kind}.AAPL"))
	var kind string
	inner.AddFunc(func(m Message) { kind = m.Param("kind") })
	outer.Add(inner)
	outer.Trigger(Message{Topic: topic.MustParse("Market.Data.AAPL")})
	if kind != "Data" {
		t.Fatalf("tapped hook: kind %q", kind)
	}
}

func TestParamAllocs(t *testing.T) {
	h := NewHook(topic.MustParse("Market.{kind}.{symbol}"))
	var got string
	h.AddFunc(func(m Message) { got = m.Param("symbol") })
	m := Message{Topic: topic.MustParse("Market.Data.AAPL")}
	if n := testing.AllocsPerRun(100, func() { h.Trigger(m) }); n != 0 || got != "AAPL" {
		t.Fatalf("Param: %v allocations, got %q", n, got)
	}
}

var paramSink string

// BenchmarkParam is the cost of m.Param in a handler of a three-part
// pattern with two wildcards, reading the second (the message is as a
// hook delivers it).
func BenchmarkParam(b *testing.B) {
	h := NewHook(topic.MustParse("Market.{kind}.{symbol}"))
	m := Message{Topic: topic.MustParse("Market.Data.AAPL")}.delivered(h)
	for b.Loop() {
		paramSink = m.Param("symbol")
	}
}

func TestRest(t *testing.T) {
	h := NewHook(topic.MustParse("Market.{kind}.>"))
	var rest, kind string
	var ok bool
	h.AddFunc(func(m Message) { rest, ok = m.Rest(); kind = m.Param("kind") })
	h.Trigger(Message{Topic: topic.MustParse("Market.Data.AAPL.Bid")})
	if rest != "AAPL.Bid" || !ok || kind != "Data" {
		t.Fatalf("Rest %q %v, kind %q", rest, ok, kind)
	}
	plain := NewHook(topic.MustParse("Market.{kind}"))
	plain.AddFunc(func(m Message) { rest, ok = m.Rest() })
	plain.Trigger(Message{Topic: topic.MustParse("Market.Data")})
	if ok {
		t.Fatalf("Rest without >: %q", rest)
	}
	if _, ok := (Message{Topic: topic.MustParse("A.B")}).Rest(); ok {
		t.Fatal("Rest of a message no hook delivered")
	}
}

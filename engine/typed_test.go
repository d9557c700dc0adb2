package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

type quote struct {
	Symbol string
	Price  float64
	Size   int
}

func TestPublishValue(t *testing.T) {
	var buf syncBuffer
	e := newEngine(t, WithCapacity(4), WithLogger(logTo(&buf)))
	var got []string
	sub, err := SubscribeValue(e, "Market.Data.{symbol}", func(m event.Message, v quote) {
		got = append(got, fmt.Sprintf("%d %s %+v", m.Seq, m.Param("symbol"), v))
	})
	if err != nil {
		t.Fatal(err)
	}
	ptrs := 0
	e.Subscribe("Market.Data.{symbol}", func(m event.Message) {
		if v, ok := event.Value[quote](m); ok && v.Symbol != "" {
			ptrs++
		}
	})
	e.Start()
	// More messages than the ring has positions, so positions are reused.
	for i := range 10 {
		v := quote{"AAPL", 187.5 + float64(i), i}
		if err := PublishValue(e, "Market.Data.AAPL", v); err != nil {
			t.Fatal(err)
		}
	}
	e.Put(topic.MustParse("Market.Data.MSFT"), quote{"MSFT", 1, 2})  // a boxed value
	e.Put(topic.MustParse("Market.Data.MSFT"), &quote{"MSFT", 3, 4}) // a pointer
	e.Put(topic.MustParse("Market.Data.IBM"), 187.5)                 // another type
	e.Put(topic.MustParse("Market.Data.IBM"))                        // nothing
	shutdown(t, e)
	if len(got) != 12 || got[0] != "1 AAPL {Symbol:AAPL Price:187.5 Size:0}" || got[9] != "10 AAPL {Symbol:AAPL Price:196.5 Size:9}" ||
		got[10] != "11 MSFT {Symbol:MSFT Price:1 Size:2}" || got[11] != "12 MSFT {Symbol:MSFT Price:3 Size:4}" {
		t.Fatalf("got %q", got)
	}
	if ptrs != 12 {
		t.Fatalf("event.Value read %d payloads, want 12", ptrs)
	}
	if st := sub.Stats(); st.Errors != 2 {
		t.Fatalf("mismatches counted: %+v", st)
	}
	out := buf.String()
	if !strings.Contains(out, "payload is a float64: wrong type, want engine.quote") || !strings.Contains(out, "no payload") {
		t.Fatalf("log: %s", out)
	}
	// The ring keeps nothing alive after delivery.
	r := ringFor[quote](e)
	for i := range r.vals {
		if r.vals[i] != (quote{}) {
			t.Fatalf("ring position %d still holds %+v", i, r.vals[i])
		}
	}
}

// Typed messages taken with Get are copies: they survive the reuse of
// their ring position.
func TestPublishValueGet(t *testing.T) {
	e := newEngine(t, WithCapacity(2))
	var msgs []event.Message
	for round := range 3 {
		for i := range 2 {
			if err := TryPublishValue(e, topic.MustParse("A"), round*10+i); err != nil {
				t.Fatal(err)
			}
		}
		if err := TryPublishValue(e, "A", 99); !errors.Is(err, ErrFull) {
			t.Fatalf("full: %v", err)
		}
		for range 2 {
			m, err := e.TryGet()
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
		}
	}
	var vals []int
	for _, m := range msgs {
		v, ok := event.Value[int](m)
		if !ok {
			t.Fatalf("Value of %v", m)
		}
		vals = append(vals, v)
	}
	if !slices.Equal(vals, []int{0, 1, 10, 11, 20, 21}) {
		t.Fatalf("vals %v", vals)
	}
}

func TestPublishValueBadInput(t *testing.T) {
	e := newEngine(t)
	var te *topic.Error
	if err := PublishValue(e, "A..B", 1); !errors.As(err, &te) {
		t.Fatalf("bad subject: %v", err)
	}
	if err := PublishValue(e, "A.{x}", 1); !errors.Is(err, ErrNotExact) {
		t.Fatalf("generic: %v", err)
	}
	if _, err := SubscribeValue(e, "A..B", func(event.Message, int) {}); !errors.As(err, &te) {
		t.Fatalf("bad pattern: %v", err)
	}
	if _, err := SubscribeValue[int](e, "A", nil); !errors.Is(err, event.ErrNilHandler) {
		t.Fatalf("nil: %v", err)
	}
	if e.Stats().Refused != 2 {
		t.Fatalf("refused %d", e.Stats().Refused)
	}
}

// Several types at once, from several goroutines: each finds its own ring.
func TestPublishValueTypes(t *testing.T) {
	e := newEngine(t, WithCapacity(16))
	var ints, strs, quotes int
	SubscribeValue(e, "I", func(_ event.Message, v int) { ints += v })
	SubscribeValue(e, "S", func(_ event.Message, v string) { strs += len(v) })
	SubscribeValue(e, "T", func(_ event.Message, v *quote) { quotes += v.Size })
	e.Start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make(chan error, 3)
	go func() {
		for range 100 {
			if err := PublishValueContext(ctx, e, "I", 1); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	go func() {
		for range 100 {
			if err := PublishValueContext(ctx, e, "S", "ab"); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	go func() {
		for range 100 {
			if err := PublishValueContext(ctx, e, "T", &quote{Size: 3}); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	shutdown(t, e)
	if ints != 100 || strs != 200 || quotes != 300 {
		t.Fatalf("ints %d strs %d quotes %d", ints, strs, quotes)
	}
	if n := len(e.rings.load()); n != 3 {
		t.Fatalf("%d rings", n)
	}
}

func TestPublishValueAllocs(t *testing.T) {
	if runtime.GOARCH == "wasm" {
		t.Skip()
	}
	e := newEngine(t, WithCapacity(1024))
	tp := topic.MustParse("Market.Data.AAPL")
	p := &quote{"AAPL", 187.5, 100}
	for name, put := range map[string]func(){
		"struct":  func() { PublishValue(e, tp, quote{"AAPL", 187.5, 100}) },
		"pointer": func() { PublishValue(e, tp, p) },
		"string":  func() { PublishValue(e, "Market.Data.AAPL", quote{"AAPL", 187.5, 100}) },
	} {
		put() // makes the ring
		if n := testing.AllocsPerRun(100, func() {
			put()
			e.TryGet()
		}); n > 2 { // TryGet copies the value out and makes its Args
			t.Fatalf("%s: %v allocations per put and get", name, n)
		}
	}
	// The put alone allocates nothing.
	for e.Occupied() > 0 {
		e.TryGet()
	}
	if n := testing.AllocsPerRun(100, func() { PublishValue(e, tp, quote{"AAPL", 187.5, 100}) }); n != 0 {
		t.Fatalf("PublishValue: %v allocations", n)
	}
}

// A handler's typed put on a full queue becomes a follow-up, delivered in
// order with its value.
func TestPublishValueFollowUp(t *testing.T) {
	e := newEngine(t, WithCapacity(1))
	var got []int
	SubscribeValue(e, "Out", func(m event.Message, v int) { got = append(got, v) })
	SubscribeValue(e, "In", func(m event.Message, v int) {
		for i := range 3 {
			if err := PublishValue(e, "Out", v*10+i); err != nil {
				t.Error(err)
			}
		}
	})
	e.Start()
	PublishValue(e, "In", 1)
	PublishValue(e, "In", 2)
	shutdown(t, e)
	if !slices.Equal(got, []int{10, 11, 12, 20, 21, 22}) {
		t.Fatalf("got %v", got)
	}
	if st := e.Stats(); st.FollowUps == 0 {
		t.Fatalf("no follow-ups: %+v", st)
	}
}

func TestTypedOf(t *testing.T) {
	e := newEngine(t, WithCapacity(2))
	q := TypedOf[quote](e)
	if q.Engine() != e {
		t.Fatal("Engine")
	}
	var got []string
	q.Subscribe("Q.{s}", func(m event.Message, v quote) { got = append(got, m.Param("s")+v.Symbol) })
	q.SubscribeTopic(topic.MustParse("Q.b"), func(m event.Message, v quote) { got = append(got, "exact"+v.Symbol) })
	if err := q.TryPublish("Q.a", quote{Symbol: "1"}); err != nil {
		t.Fatal(err)
	}
	if err := q.PublishTopic(topic.MustParse("Q.b"), quote{Symbol: "2"}); err != nil {
		t.Fatal(err)
	}
	if err := q.TryPublish("Q.a", quote{}); !errors.Is(err, ErrFull) {
		t.Fatalf("full: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.PublishContext(ctx, "Q.a", quote{}); !errors.Is(err, ErrFull) || !errors.Is(err, context.Canceled) {
		t.Fatalf("context: %v", err)
	}
	drain(t, e)
	if !slices.Equal(got, []string{"a1", "exact2", "b2"}) {
		t.Fatalf("got %q", got)
	}
}

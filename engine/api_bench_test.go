package engine

import (
	"context"
	"runtime"
	"testing"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// The benchmarks of the user-facing forms (issue 14): one producer, the
// running loop and one handler that reads the payload, per message. Each
// reports allocations per message. Compare:
//
//	BenchmarkUserPutArgs        today's e.Put(t, price, size): boxing and a []any per message
//	BenchmarkUserPublishValue   PublishValue of a small struct (quote)
//	BenchmarkUserPublishPointer PublishValue of a *quote made once
//	BenchmarkUserSendString     e.Send("Market.Data.AAPL", price, size): the string form of Put
//	BenchmarkUserPutKw          e.Put(t, price, event.Kw{...}): one keyword argument

func benchUser(b *testing.B, sub func(e *Engine, done func()), put func(e *Engine, i int) error) {
	e, err := New()
	if err != nil {
		b.Fatal(err)
	}
	n := b.N
	seen := 0
	finished := make(chan struct{})
	sub(e, func() {
		seen++
		if seen == n {
			close(finished)
		}
	})
	runtime.GC()
	e.Start()
	defer e.Stop()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range n {
		if err := put(e, i); err != nil {
			b.Fatal(err)
		}
	}
	<-finished
}

var benchSink float64

// readPrice is the handler of the benchmarks with positional arguments.
func readPrice(done func()) func(event.Message) {
	return func(m event.Message) {
		p, _ := event.Arg[float64](m, 0)
		benchSink += p
		done()
	}
}

func BenchmarkUserPutArgs(b *testing.B) {
	tp := topic.MustParse("Market.Data.AAPL")
	benchUser(b, func(e *Engine, done func()) {
		e.Subscribe("Market.Data.{symbol}", readPrice(done))
	}, func(e *Engine, i int) error { return e.Put(tp, 187.5+float64(i&7), 100+i) })
}

func BenchmarkUserPublishValue(b *testing.B) {
	tp := topic.MustParse("Market.Data.AAPL")
	benchUser(b, func(e *Engine, done func()) {
		SubscribeValue(e, "Market.Data.{symbol}", func(_ event.Message, q quote) {
			benchSink += q.Price
			done()
		})
	}, func(e *Engine, i int) error {
		return PublishValue(e, tp, quote{Symbol: "AAPL", Price: 187.5 + float64(i&7), Size: 100 + i})
	})
}

func BenchmarkUserPublishPointer(b *testing.B) {
	tp := topic.MustParse("Market.Data.AAPL")
	q := &quote{Symbol: "AAPL", Price: 187.5, Size: 100}
	benchUser(b, func(e *Engine, done func()) {
		SubscribeValue(e, "Market.Data.{symbol}", func(_ event.Message, q *quote) {
			benchSink += q.Price
			done()
		})
	}, func(e *Engine, i int) error { return PublishValue(e, tp, q) })
}

func BenchmarkUserSendString(b *testing.B) {
	benchUser(b, func(e *Engine, done func()) {
		e.Subscribe("Market.Data.{symbol}", readPrice(done))
	}, func(e *Engine, i int) error { return e.Send("Market.Data.AAPL", 187.5+float64(i&7), 100+i) })
}

func BenchmarkUserPutKw(b *testing.B) {
	tp := topic.MustParse("Market.Data.AAPL")
	benchUser(b, func(e *Engine, done func()) {
		e.Subscribe("Market.Data.{symbol}", readPrice(done))
	}, func(e *Engine, i int) error { return e.Put(tp, 187.5+float64(i&7), event.Kw{"exchange": "XNAS"}) })
}

// BenchmarkUserParam is the plain handler of BenchmarkUserPutArgs that
// also reads the bound symbol with m.Param.
func BenchmarkUserParam(b *testing.B) {
	tp := topic.MustParse("Market.Data.AAPL")
	args := []any{187.5, 100}
	benchUser(b, func(e *Engine, done func()) {
		e.Subscribe("Market.Data.{symbol}", func(m event.Message) {
			if m.Param("symbol") == "AAPL" {
				done()
			}
		})
	}, func(e *Engine, i int) error { return e.Put(tp, args...) })
}

// BenchmarkHandlerForm is the cost of one call of a trivial handler
// through each registration form, triggered directly on its hook (no
// queue): what a form adds per message, and what middleware costs when
// installed (none is wrapped without it).
func BenchmarkHandlerForm(b *testing.B) {
	tp := topic.MustParse("Market.Data.AAPL")
	n := 0
	noop := func(s *Subscription, next HandleFunc) HandleFunc { return next }
	for _, f := range []struct {
		name string
		opts []Option
		sub  func(e *Engine)
	}{
		{"RegisterFunc", nil, func(e *Engine) { e.RegisterFunc(tp, func(event.Message) { n++ }) }},
		{"Subscribe", nil, func(e *Engine) { e.SubscribeTopic(tp, func(event.Message) { n++ }) }},
		{"SubscribeErr", nil, func(e *Engine) {
			e.SubscribeErr(tp.String(), func(event.Message) error { n++; return nil })
		}},
		{"SubscribeContext", nil, func(e *Engine) {
			e.SubscribeContext(tp.String(), func(context.Context, event.Message) error { n++; return nil })
		}},
		{"SubscribeValue", nil, func(e *Engine) { SubscribeValue(e, tp, func(_ event.Message, q *quote) { n += q.Size }) }},
		{"SubscribeMiddleware1", []Option{WithMiddleware(noop)}, func(e *Engine) { e.SubscribeTopic(tp, func(event.Message) { n++ }) }},
	} {
		b.Run(f.name, func(b *testing.B) {
			e, err := New(f.opts...)
			if err != nil {
				b.Fatal(err)
			}
			f.sub(e)
			h, _ := e.Hook(tp)
			m := event.Message{Topic: tp, Args: []any{&quote{Size: 1}}}
			b.ReportAllocs()
			for b.Loop() {
				h.Trigger(m)
			}
		})
	}
}

package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

// uniqueHandler is a comparable handler, for RegisterUnique.
type uniqueHandler struct{ got *[]uint64 }

func (u uniqueHandler) Handle(m event.Message) { *u.got = append(*u.got, m.Seq) }

// TestMiddlewareWrapsRegisteredHandlers: WithMiddleware wraps the handlers
// of the reference-shaped calls too, and they keep their identity:
// RegisterUnique finds the handler again, UnregisterHandlerValue removes it,
// and an error the middleware returns is counted as the handler's.
func TestMiddlewareWrapsRegisteredHandlers(t *testing.T) {
	var seen []string
	mw := func(s *Subscription, next HandleFunc) HandleFunc {
		return func(ctx context.Context, m event.Message) error {
			seen = append(seen, s.Topic().String())
			if err := next(ctx, m); err != nil {
				return err
			}
			if m.Seq == 2 {
				return errors.New("middleware says no")
			}
			return nil
		}
	}
	e := newEngine(t, WithMiddleware(mw))
	tp := topic.MustParse("Reg.A")
	var got []uint64
	h := uniqueHandler{&got}
	id, err := e.RegisterUnique(tp, h)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := e.RegisterUnique(tp, h); err != nil || again != id {
		t.Fatalf("RegisterUnique again = %d, %v; want %d: the wrapped handler keeps its identity", again, err, id)
	}
	var f int
	if _, err := e.RegisterFunc(topic.MustParse("Reg.{x}"), func(event.Message) { f++ }); err != nil {
		t.Fatal(err)
	}
	e.Start()
	for range 2 {
		if err := e.Put(tp); err != nil {
			t.Fatal(err)
		}
	}
	shutdown(t, e)
	if len(got) != 2 || f != 2 {
		t.Fatalf("delivered %v and %d, want 2 each", got, f)
	}
	if len(seen) != 4 {
		t.Fatalf("middleware saw %v, want 4 calls (2 messages, 2 handlers)", seen)
	}
	if st := e.Stats(); st.HandlerErrors != 2 {
		t.Fatalf("HandlerErrors = %d, want 2 (the middleware's error for each handler)", st.HandlerErrors)
	}
	if err := e.UnregisterHandlerValue(tp, h); err != nil {
		t.Fatalf("UnregisterHandlerValue of the wrapped handler: %v", err)
	}
	if _, ok := e.Hook(tp); ok {
		t.Fatal("the hook of Reg.A is still there")
	}
}

// TestMiddlewareNilForRegisteredHandler: a middleware that returns no
// handler makes RegisterHandler fail, and leaves no empty hook behind.
func TestMiddlewareNilForRegisteredHandler(t *testing.T) {
	e := newEngine(t, WithMiddleware(func(*Subscription, HandleFunc) HandleFunc { return nil }))
	tp := topic.MustParse("Reg.Nil")
	if _, err := e.RegisterFunc(tp, func(event.Message) {}); !errors.Is(err, ErrMiddleware) {
		t.Fatalf("RegisterFunc = %v, want ErrMiddleware", err)
	}
	if e.Len() != 0 {
		t.Fatalf("%d hooks after a refused registration", e.Len())
	}
}

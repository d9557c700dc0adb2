package engine

import (
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

func TestWithIdleSpinInvalid(t *testing.T) {
	if _, err := New(WithIdleSpin(-time.Millisecond)); !errors.Is(err, ErrOption) {
		t.Fatalf("WithIdleSpin(-1ms): err = %v, want ErrOption", err)
	}
}

// TestIdleEngineParks: after bursts of messages that teach the loop to spin
// through short gaps, an engine that receives nothing more parks its loop
// (Stats.LoopParked), so an idle engine uses no CPU.
func TestIdleEngineParks(t *testing.T) {
	e := newEngine(t, WithIdleSpin(5*time.Millisecond))
	tp := topic.MustParse("Idle.Parks")
	got := make(chan struct{}, 1)
	if _, err := e.RegisterFunc(tp, func(event.Message) { got <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	e.Start()
	for range 50 {
		if err := e.Put(tp); err != nil {
			t.Fatal(err)
		}
		<-got // one at a time: each gap is a wait of the loop
	}
	deadline := time.Now().Add(10 * time.Second) // bounds the test only: the spin is 5 ms at most
	for !e.Stats().LoopParked {
		if time.Now().After(deadline) {
			t.Fatal("the loop of an idle engine never parked")
		}
		runtime.Gosched()
	}
	if err := e.Put(tp); err != nil {
		t.Fatal(err)
	}
	<-got // and a put wakes it
	shutdown(t, e)
}

func TestWithIOYieldInvalid(t *testing.T) {
	if _, err := New(WithIOYield(-time.Millisecond)); !errors.Is(err, ErrOption) {
		t.Fatalf("WithIOYield(-1ms): err = %v, want ErrOption", err)
	}
}

// SetParkWhenIdle makes the loop park at once, even with a spin that would
// never end by itself, and a put wakes it.
func TestSetParkWhenIdle(t *testing.T) {
	e := newEngine(t, WithMaxSpin(1<<30))
	tp := topic.MustParse("Idle.ParkAtOnce")
	got := make(chan struct{}, 1)
	if _, err := e.RegisterFunc(tp, func(event.Message) { got <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	if was := e.SetParkWhenIdle(true); was {
		t.Fatal("SetParkWhenIdle: on before it was set")
	}
	e.Start()
	for range 3 {
		deadline := time.Now().Add(10 * time.Second) // bounds the test only
		for !e.Stats().LoopParked {
			if time.Now().After(deadline) {
				t.Fatal("the loop did not park with SetParkWhenIdle(true)")
			}
			runtime.Gosched()
		}
		if err := e.Put(tp); err != nil {
			t.Fatal(err)
		}
		<-got
	}
	if was := e.SetParkWhenIdle(false); !was {
		t.Fatal("SetParkWhenIdle(false) did not report the previous setting")
	}
	shutdown(t, e)
}

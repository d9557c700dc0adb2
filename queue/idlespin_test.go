package queue

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// TestLearnGap checks the rules of WithIdleSpin's adaptation: twice a gap
// within the bound (never above the bound), decaying by a quarter per gap
// towards twice the recent gaps, halving after a gap over the bound.
func TestLearnGap(t *testing.T) {
	q, err := New[int](8, WithIdleSpin(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	us := int64(time.Microsecond)
	steps := []struct {
		gap, want int64
	}{
		{100 * us, 200 * us},  // first gap: twice it
		{50 * us, 150 * us},   // shorter gap: a quarter less, not below 2*gap
		{50 * us, 112500},     // and again
		{300 * us, 600 * us},  // longer gap within the bound: twice it
		{700 * us, 1000 * us}, // twice it is over the bound: the bound
		{5000 * us, 500 * us}, // a gap over the bound: halved
		{5000 * us, 250 * us},
		{0, 187500},
	}
	for i, s := range steps {
		q.learnGap(s.gap)
		if got := q.spinFor.Load(); got != s.want {
			t.Fatalf("step %d: gap %d ns: spin %d ns, want %d", i, s.gap, got, s.want)
		}
	}
}

func TestWithIdleSpinInvalid(t *testing.T) {
	if _, err := New[int](8, WithIdleSpin(-time.Nanosecond)); !errors.Is(err, ErrOption) {
		t.Fatalf("WithIdleSpin(-1ns): err = %v, want ErrOption", err)
	}
}

// TestIdleSpinStillParks: a consumer that learned short gaps spins on an
// empty queue for at most the bound and then parks: an idle queue's
// consumer uses no CPU. A producer then wakes it.
func TestIdleSpinStillParks(t *testing.T) {
	q, err := New[int](8, WithIdleSpin(2*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	q.spinFor.Store(int64(2 * time.Millisecond)) // as after gaps of 1 ms
	got := make(chan int)
	go func() {
		var v int
		_, err := q.Consume(context.Background(), 1, func(p *int, _ uint64) bool { v = *p; return true })
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	waitConsumerParked(t, q, "consumer never parked") // far above the 2 ms spin
	q.TryPut(7)
	if v := <-got; v != 7 {
		t.Fatalf("got %d", v)
	}
	// Whatever the gap was, the spin stays within the bound.
	if b := q.spinFor.Load(); b > int64(2*time.Millisecond) {
		t.Fatalf("spin %d ns over the bound", b)
	}
}

// TestIdleSpinOffWithMaxSpinZero: WithMaxSpin(0) parks at once, as
// documented, whatever WithIdleSpin says.
func TestIdleSpinOffWithMaxSpinZero(t *testing.T) {
	q, err := New[int](8, WithMaxSpin(0), WithIdleSpin(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	q.spinFor.Store(int64(time.Hour))
	done := make(chan error)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, err := q.Consume(ctx, 1, func(*int, uint64) bool { return true })
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, c := q.Waiters(); c == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("consumer with WithMaxSpin(0) kept spinning")
		}
		runtime.Gosched()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Consume = %v, want context.Canceled", err)
	}
}

// TestIOYieldParksAtOnce: with WithIOYield, a consumer that has not parked
// for longer than the bound parks as soon as it finds the queue empty, even
// though its idle spin would keep it spinning (here for an hour).
func TestIOYieldParksAtOnce(t *testing.T) {
	q, err := New[int](8, WithIdleSpin(time.Hour), WithIOYield(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	q.spinFor.Store(int64(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := q.Consume(ctx, 1, func(*int, uint64) bool { return true })
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second) // bounds the test only
	for {
		if _, c := q.Waiters(); c == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the consumer kept spinning past its WithIOYield bound")
		}
		runtime.Gosched()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Consume = %v, want context.Canceled", err)
	}
	if q.awake.Load() == 0 {
		t.Fatal("waking did not record the time")
	}
}

func TestWithIOYieldInvalid(t *testing.T) {
	if _, err := New[int](8, WithIOYield(-time.Nanosecond)); !errors.Is(err, ErrOption) {
		t.Fatalf("WithIOYield(-1ns): err = %v, want ErrOption", err)
	}
}

// waitConsumerParked waits until one consumer of q is parked, failing with
// msg after 10 s (a bound on the test only: the waits tested are far
// shorter).
func waitConsumerParked[T any](t *testing.T, q *Queue[T], msg string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, c := q.Waiters(); c == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		runtime.Gosched()
	}
}

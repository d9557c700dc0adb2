package clock

import (
	"testing"
	"time"
)

func TestFake(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := NewFake(start)
	a := f.NewTimer(2 * time.Second)
	b := f.NewTimer(time.Second)
	c := f.NewTimer(3 * time.Second)
	if f.Waiters() != 3 {
		t.Fatalf("Waiters %d", f.Waiters())
	}
	if !c.Stop() || c.Stop() {
		t.Fatal("Stop of a pending timer")
	}
	f.Advance(1500 * time.Millisecond)
	select {
	case got := <-b.C():
		if !got.Equal(start.Add(time.Second)) {
			t.Fatalf("fired with %v", got)
		}
	default:
		t.Fatal("due timer did not fire")
	}
	select {
	case <-a.C():
		t.Fatal("timer fired early")
	default:
	}
	f.Set(start.Add(time.Hour))
	if got := <-a.C(); !got.Equal(start.Add(2*time.Second)) || f.Waiters() != 0 || !f.Now().Equal(start.Add(time.Hour)) {
		t.Fatalf("after Set: %v, %d waiters", got, f.Waiters())
	}
	if got := <-f.NewTimer(0).C(); !got.Equal(f.Now()) {
		t.Fatal("a zero timer must fire at once")
	}
	done := make(chan struct{})
	go func() { f.BlockUntil(1); close(done) }()
	f.NewTimer(time.Second)
	<-done
}

func TestReal(t *testing.T) {
	before := time.Now()
	if Real.Now().Before(before) {
		t.Fatal("Real.Now went back")
	}
	tm := Real.NewTimer(time.Hour)
	if !tm.Stop() {
		t.Fatal("Stop of a pending real timer")
	}
	if got := <-Real.NewTimer(0).C(); got.IsZero() {
		t.Fatal("zero real timer")
	}
}

var _ Clock = (*Fake)(nil)

// TestFakeDrivesAWaitingGoroutine runs a thousand one-second waits in a
// goroutine, advancing the clock only once it waits: no sleeping.
func TestFakeDrivesAWaitingGoroutine(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := NewFake(start)
	const n = 1000
	got := make(chan time.Time, n)
	go func() {
		for range n {
			got <- <-f.NewTimer(time.Second).C()
		}
	}()
	for k := 1; k <= n; k++ {
		f.BlockUntil(1)
		f.Advance(time.Second)
		if at := <-got; !at.Equal(start.Add(time.Duration(k) * time.Second)) {
			t.Fatalf("wait %d ended at %v", k, at)
		}
	}
	if f.Waiters() != 0 {
		t.Fatalf("%d waiters left", f.Waiters())
	}
}

func TestFakeEdges(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := NewFake(start)
	if got := <-f.NewTimer(-time.Second).C(); !got.Equal(start.Add(-time.Second)) || f.Waiters() != 0 {
		t.Fatalf("negative timer fired with %v, %d waiters", got, f.Waiters())
	}
	a := f.NewTimer(time.Minute)
	f.Set(start.Add(-time.Hour)) // back in time: nothing fires
	if !f.Now().Equal(start.Add(-time.Hour)) || f.Waiters() != 1 {
		t.Fatalf("after Set back: now %v, %d waiters", f.Now(), f.Waiters())
	}
	f.Set(start.Add(time.Minute)) // exactly the deadline fires
	if got := <-a.C(); !got.Equal(start.Add(time.Minute)) {
		t.Fatalf("fired with %v", got)
	}
	if a.Stop() {
		t.Fatal("Stop of a fired timer reported stopping it")
	}
	f.Advance(time.Hour) // a fired timer fires once
	select {
	case <-a.C():
		t.Fatal("fired twice")
	default:
	}
	// Several due at once: each gets its own deadline.
	ts := []Timer{f.NewTimer(3 * time.Second), f.NewTimer(time.Second), f.NewTimer(2 * time.Second)}
	now := f.Now()
	f.Advance(time.Hour)
	for i, d := range []time.Duration{3, 1, 2} {
		if got := <-ts[i].C(); !got.Equal(now.Add(d * time.Second)) {
			t.Fatalf("timer %d fired with %v", i, got)
		}
	}
	// BlockUntil returns at once when enough timers wait, and a Stop is seen
	// by Waiters.
	b := f.NewTimer(time.Second)
	f.BlockUntil(1)
	f.BlockUntil(0)
	b.Stop()
	if f.Waiters() != 0 {
		t.Fatalf("%d waiters after Stop", f.Waiters())
	}
}

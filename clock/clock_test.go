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

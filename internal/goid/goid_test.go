package goid

import "testing"

func TestGetDiffersAcrossGoroutines(t *testing.T) {
	me := Get()
	if me == 0 {
		t.Fatal("Get returned 0 on the test goroutine")
	}
	if again := Get(); again != me {
		t.Fatalf("Get changed on one goroutine: %d then %d", me, again)
	}
	other := make(chan uint64)
	go func() { other <- Get() }()
	if o := <-other; o == me || o == 0 {
		t.Fatalf("another goroutine got id %d, this one %d", o, me)
	}
}

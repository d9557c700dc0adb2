package ticks

import "testing"

// Ticks falls back to Nanotime when the time-stamp counter is not used.
func TestTicksFallback(t *testing.T) {
	Init()
	if !hasTSC {
		t.Skip("the TSC is not used on this machine: the fallback is what every test runs")
	}
	hasTSC = false
	defer func() { hasTSC = true }()
	n0 := Nanotime()
	got := Ticks()
	n1 := Nanotime()
	if got < n0 || got > n1 {
		t.Fatalf("fallback Ticks %d is not between Nanotime readings %d and %d", got, n0, n1)
	}
}

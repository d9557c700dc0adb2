package ticks

import (
	"testing"

	"github.com/eventengine/eventengine/internal/leakcheck"
)

// initialisedAtStart records whether the TSC check ran before any test:
// it must not run when the package is merely imported.
var initialisedAtStart bool

// TestMain fails the package if a test leaves a goroutine running.
func TestMain(m *testing.M) {
	initialisedAtStart = initialised.Load()
	leakcheck.Main(m)
}

// Importing the package runs no TSC check (it busy-waits about 0.1 ms);
// Init does, once.
func TestNoCheckBeforeInit(t *testing.T) {
	if initialisedAtStart {
		t.Fatal("the TSC check ran at package initialisation")
	}
	Init()
	Init()
	if !initialised.Load() {
		t.Fatal("Init did not run the check")
	}
}

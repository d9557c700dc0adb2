package clock

import (
	"testing"

	"github.com/eventengine/eventengine/internal/leakcheck"
)

// TestMain fails the package if a test leaves a goroutine running.
func TestMain(m *testing.M) { leakcheck.Main(m) }

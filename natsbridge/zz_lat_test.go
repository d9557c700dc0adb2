package natsbridge

import (
	"os"
	"testing"
	"time"

	"github.com/eventengine/eventengine/engine"
)

func BenchmarkZZLatency(b *testing.B) {
	var opts []engine.Option
	if v := os.Getenv("IOY"); v != "" {
		d, _ := time.ParseDuration(v)
		opts = append(opts, engine.WithIOYield(d))
	}
	if v := os.Getenv("IDLE"); v != "" {
		d, _ := time.ParseDuration(v)
		opts = append(opts, engine.WithIdleSpin(d))
	}
	benchLatency(b, opts...)
}

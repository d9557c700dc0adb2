package event

import (
	"log/slog"
	"time"
)

// Option configures a Hook.
type Option func(*hookConfig)

// hookConfig collects the options of NewHook.
type hookConfig struct {
	logger *slog.Logger
	stats  bool
	slow   time.Duration // WithSlowHandler
	panics panicLog
}

// WithLogger sets the hook's logger. The default (and nil) means
// slog.Default(), looked up each time a record is written.
func WithLogger(l *slog.Logger) Option { return func(c *hookConfig) { c.logger = l } }

// WithStats makes an extended hook (the reference's EventHookEx): it counts
// and times every handler call.
func WithStats() Option { return func(c *hookConfig) { c.stats = true } }

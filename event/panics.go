package event

import (
	"log/slog"
	"runtime/debug"
)

// recovered counts and logs the panic r of registration e.
func (h *Hook) recovered(e *entry, m *Message, r any) {
	e.panics.Add(1)
	h.panics.Add(1)
	h.logCall("eventengine: handler panicked", e, m,
		slog.Any("panic", r),
		slog.String("stack", string(debug.Stack())))
}

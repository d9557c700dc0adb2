package event

import (
	"log/slog"
	"runtime/debug"
)

// recovered counts and logs the panic r of registration e.
func (h *Hook) recovered(e *entry, m *Message, r any) {
	e.panics.Add(1)
	h.panics.Add(1)
	h.Logger().Error("eventengine: handler panicked",
		slog.String("topic", m.Topic.String()),
		slog.String("hook", h.topic.String()),
		slog.Uint64("seq", m.Seq),
		slog.Uint64("handler_id", uint64(e.id)),
		slog.String("handler", e.name),
		slog.Any("panic", r),
		slog.String("stack", string(debug.Stack())))
}

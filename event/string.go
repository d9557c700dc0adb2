package event

import "fmt"

// String returns a readable form of the hook: its topic, its number of
// handlers and whether it keeps statistics, as in
// `hook Market.Data.{symbol} (2 handlers, with stats)`.
func (h *Hook) String() string {
	n := h.Len()
	plural := "s"
	if n == 1 {
		plural = ""
	}
	stats := ""
	if h.stats {
		stats = ", with stats"
	}
	return fmt.Sprintf("hook %s (%d handler%s%s)", h.topic.String(), n, plural, stats)
}

package natsbridge

import (
	"context"
	"fmt"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/topic"
	"github.com/nats-io/nats.go"
)

// InProcess connects the bridge through an in-process pipe to an embedded
// server (natsserver.Server implements nats.InProcessConnProvider); the
// URL given to New is then only a name.
func InProcess(p nats.InProcessConnProvider) Option {
	return func(c *config) error {
		c.natsOpts = append(c.natsOpts, nats.InProcessServer(p))
		c.inProcess = true
		return nil
	}
}

// StartFeed starts the bridge of a process that publishes: every local
// message on patterns is exported, nothing is imported. It is New and
// Start with WithExport(patterns...) before opts.
func StartFeed(ctx context.Context, e *engine.Engine, url string, patterns []topic.Topic, opts ...Option) (*Bridge, error) {
	if len(patterns) == 0 {
		return nil, fmt.Errorf("%w: a feed needs at least one export pattern", ErrOption)
	}
	return start(ctx, e, url, append([]Option{WithExport(patterns...)}, opts...))
}

// StartStrategy starts the bridge of a process that subscribes: NATS
// messages on patterns are put on the local engine, nothing is exported.
// In JetStream mode give every strategy process its own JetStream.Durable
// (processes sharing a durable share its messages).
func StartStrategy(ctx context.Context, e *engine.Engine, url string, patterns []topic.Topic, opts ...Option) (*Bridge, error) {
	if len(patterns) == 0 {
		return nil, fmt.Errorf("%w: a strategy needs at least one import pattern", ErrOption)
	}
	return start(ctx, e, url, append([]Option{WithExport(), WithImport(patterns...)}, opts...))
}

func start(ctx context.Context, e *engine.Engine, url string, opts []Option) (*Bridge, error) {
	b, err := New(e, url, opts...)
	if err != nil {
		return nil, err
	}
	if err := b.Start(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// Summary is the short account of a bridge a demo or a log line shows.
type Summary struct {
	Mode        string `json:"mode"` // "core" or "jetstream"
	Sent        uint64 `json:"sent"`
	Received    uint64 `json:"received"`
	Lost        uint64 `json:"lost"`
	Duplicates  uint64 `json:"duplicates_dropped"`
	Dropped     uint64 `json:"dropped"`
	PendingAcks int    `json:"pending_acks"`
	Reconnects  uint64 `json:"reconnects"`
}

// Lost returns the messages known to be lost: those the sender could not
// publish (Dropped on the sending side and PublishErrors), those the
// receiver's connection dropped as a slow consumer or that never arrived
// (Gaps; the larger of the two, since a slow-consumer drop shows as a gap
// once a later message arrives), and those that could not be decoded. A
// loss at the very end of a stream has no later message to reveal it:
// compare the sender's Sent with the receiver's Received for a full
// account.
func (s Stats) Lost() uint64 {
	d := s.Dropped
	return d.Encode + d.Subject + d.ReconnectBuffer + d.Closed + s.PublishErrors +
		max(s.Gaps, d.SlowConsumer) + d.Decode
}

// Summary returns the summary of s.
func (s Stats) Summary(jetStream bool) Summary {
	mode := "core"
	if jetStream {
		mode = "jetstream"
	}
	return Summary{Mode: mode, Sent: s.Sent, Received: s.Received, Lost: s.Lost(),
		Duplicates: s.Duplicates, Dropped: s.Dropped.Total(), PendingAcks: s.PendingAcks,
		Reconnects: s.Reconnects}
}

// Summary returns the summary of the bridge's statistics now.
func (b *Bridge) Summary() Summary { return b.Stats().Summary(b.cfg.js != nil) }

// JetStreamMode reports whether the bridge runs in JetStream mode.
func (b *Bridge) JetStreamMode() bool { return b.cfg.js != nil }

// String returns a one-line form for a live view, such as
// "core: sent 1000, received 998, lost 2, duplicates dropped 0, dropped 2,
// pending acks 0, reconnects 1".
func (s Summary) String() string {
	return fmt.Sprintf("%s: sent %d, received %d, lost %d, duplicates dropped %d, dropped %d, pending acks %d, reconnects %d",
		s.Mode, s.Sent, s.Received, s.Lost, s.Duplicates, s.Dropped, s.PendingAcks, s.Reconnects)
}

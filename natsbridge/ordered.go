package natsbridge

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// Checkpoint mode (JetStream.Checkpoint): an ordered consumer from the
// stream sequence after the checkpoint's.
//
// nats.go's ordered consumer (jetstream/ordered.go, v1.55.0) is an
// ephemeral consumer (AckNone, memory storage, one replica) that it
// recreates (reset) when a delivery's consumer sequence is not the next
// one, when heartbeats stop, when the consumer is deleted (a server
// restart loses it), or when the connection reconnects; the new one
// starts at the stream sequence after the last message it handed over,
// and deliveries of an older one are ignored. So the stream's order holds
// and no sequence is handed over twice by design. Its callback, though,
// runs on the subscription's goroutine after the consumer's lock is let
// go: the last delivery of the consumer before a reset (one that a
// heartbeat failure or a reconnect made from another goroutine) can still
// be on its way in when the next consumer's first arrives, and overtake
// it. onOrdered takes deliveries one at a time (dmu); a sequence at or
// below the last taken is a copy if the importer saw its origin's
// sequence already (dropped: Duplicates), and otherwise that overtaken
// delivery: put, late (Reordered), without moving the checkpoint back (a
// crash before it is delivered loses it).

// consumeOrdered opens the checkpoint and starts the ordered consumer of
// filters (minimal and sorted) after its sequence.
func (s *jsState) consumeOrdered(ctx context.Context, filters []string) error {
	id := ckptIdentity{stream: s.cfg.Stream, filters: slices.Clone(filters)}
	var last uint64
	if s.info != nil {
		id.created = s.info.Created
		last = s.info.State.LastSeq
	}
	var start uint64 // for a new file: everything, or after the last message
	if s.cfg.DeliverNew {
		start = last
	}
	c, err := openCheckpoint(s.cfg.Checkpoint, id, start)
	if err != nil {
		return err
	}
	if seq := c.load(); seq > last {
		c.close(false)
		return fmt.Errorf("%w %s: at stream sequence %d, beyond stream %s's last, %d: the checkpoint is not of this stream's history; remove the file to start over",
			ErrCheckpoint, s.cfg.Checkpoint, seq, s.cfg.Stream, last)
	}
	s.b.imp.mu.Lock()
	s.ckpt, s.last = c, c.load()
	if c.dirty {
		s.redo = s.last + 1
	}
	s.b.imp.mu.Unlock()
	cons, err := s.js.OrderedConsumer(ctx, s.cfg.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: filters,
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    s.last + 1,
		// Checked by the server while nobody pulls (TestCheckpointInactive).
		InactiveThreshold: s.cfg.Inactive,
	})
	if err != nil {
		return fmt.Errorf("natsbridge: ordered consumer on stream %s from sequence %d: %w", s.cfg.Stream, s.last+1, err)
	}
	cc, err := cons.Consume(s.onOrdered, s.consumeOpts("ordered consumer")...)
	if err != nil {
		return fmt.Errorf("natsbridge: consume stream %s from sequence %d: %w", s.cfg.Stream, s.last+1, err)
	}
	s.cc = cc
	return nil
}

// onOrdered receives one message of the ordered consumer. The checkpoint
// moves to its sequence once all its handlers are done with it
// (Bridge.afterDelivery), or once every earlier message was, if it is not
// put (importer.skip).
func (s *jsState) onOrdered(msg jetstream.Msg) {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.stopped {
		return // after the checkpoint: delivered again to the next process
	}
	b := s.b
	md, err := msg.Metadata()
	if err != nil {
		b.st.asyncErrors.Add(1)
		b.log.Warn("natsbridge: ordered consumer: a delivery without JetStream metadata", "subject", msg.Subject(), "err", err)
		return
	}
	seq := md.Sequence.Stream
	s.dmu.Lock()
	defer s.dmu.Unlock()
	if s.broken {
		b.st.dropEngine.Add(1)
		return
	}
	late := seq <= s.last
	if !late {
		s.last = seq
	}
	im := &b.imp
	im.mu.Lock()
	it, env, payload, _, v := im.admit(msg.Subject(), msg.Data(), true)
	if v != vDeliver {
		if !late {
			im.skip(seq)
		}
		im.mu.Unlock()
		return // counted by admit
	}
	im.mu.Unlock()
	ck := seq
	if late {
		ck = 0 // the checkpoint is beyond it already
		b.log.Warn("natsbridge: ordered consumer: a delivery came after a later one (its consumer was being made again); put late", "stream_seq", seq, "last", s.last)
	}
	if err := im.put(it, env, payload, nil, ck); err != nil {
		// The engine refused it (shut down): this message and the ones
		// after it stay after the checkpoint, for the next process.
		s.broken = true
		b.st.dropEngine.Add(1)
		if !errors.Is(err, context.Canceled) {
			b.log.Warn("natsbridge: imported message not put; the next process gets it and the ones after it", "topic", it.t.String(), "stream_seq", seq, "err", err)
		}
	}
}

// skip moves the checkpoint over seq, a message that is not put (dropped
// by admit or not decodable): at once if the hook saw every message put
// before it (the engine delivers them in order: the last one will do),
// else with the last one, when the hook sees it. im.mu is held.
func (im *importer) skip(seq uint64) {
	if im.tail == nil {
		im.b.js.ckpt.store(seq)
		return
	}
	im.tail.sseq = seq
}

// SyncCheckpoint writes the JetStream.Checkpoint file's value to the disk
// (fsync), so that a machine crash does not lose it; a process crash does
// not need it. Shutdown does it too. It does nothing without a checkpoint.
func (b *Bridge) SyncCheckpoint() error {
	js := b.jsp.Load()
	if js == nil {
		return nil
	}
	im := &b.imp
	im.mu.Lock()
	defer im.mu.Unlock()
	return js.ckpt.sync()
}

// CheckpointSeq returns the stream sequence the JetStream.Checkpoint file
// holds: every imported message up to it was delivered (or dropped), and
// a restarted bridge starts after it. It is 0 without a checkpoint.
func (b *Bridge) CheckpointSeq() uint64 {
	js := b.jsp.Load()
	if js == nil {
		return 0
	}
	im := &b.imp
	im.mu.Lock()
	defer im.mu.Unlock()
	if js.ckpt == nil {
		return 0
	}
	return js.ckpt.load()
}

package natsbridge

import (
	"sync/atomic"
)

// counters are the bridge's statistics, updated as messages flow.
type counters struct {
	sent, published, received           atomic.Uint64
	duplicates, gaps, reordered         atomic.Uint64
	publishErrors, retries, dupAcks     atomic.Uint64
	ackErrors, asyncErrors              atomic.Uint64
	reconnects, disconnects, slowEvents atomic.Uint64

	dropEncode, dropSubject, dropReconnectBuf, dropClosed atomic.Uint64
	dropMalformed, dropOwn, dropFiltered, dropDecode      atomic.Uint64
	dropEngine, dropSlowGone                              atomic.Uint64
}

// Stats is a snapshot of a bridge's statistics. Counters are read one at a
// time while messages flow.
type Stats struct {
	Origin uint64 // the bridge's origin id
	// Sent counts exported messages: in core NATS mode those the
	// connection took, in JetStream mode those the stream acknowledged.
	Sent uint64
	// Published counts, in JetStream mode, the messages handed to
	// JetStream (Sent + PendingAcks + the ones that failed).
	Published uint64
	// PendingAcks counts JetStream publishes waiting for their ack,
	// including those waiting to be published again.
	PendingAcks int
	// Retries counts JetStream publishes made again after a failure, a
	// disconnection or an ack timeout; DuplicateAcks the ones the stream
	// already had (its de-duplication at work).
	Retries, DuplicateAcks uint64
	// PublishErrors counts publishes that failed for good (core: refused
	// by the connection for a reason not listed in Dropped; JetStream:
	// refused by the stream).
	PublishErrors uint64
	// Received counts messages put on the local engine.
	Received uint64
	// Duplicates counts received messages dropped as copies of one already
	// received (JetStream redeliveries, overlapping subscriptions).
	Duplicates uint64
	// Gaps counts messages missing from the per-origin, per-topic
	// sequences: lost between the connections (core NATS), or, in
	// JetStream mode, not received yet (a redelivery fills the gap).
	Gaps uint64
	// Reordered counts messages received after a later message of the
	// same origin.
	Reordered uint64
	// Dropped counts messages dropped, by reason.
	Dropped Dropped
	// Reconnects and Disconnects of the connection; SlowConsumerEvents
	// counts the times the connection reported a slow consumer.
	Reconnects, Disconnects, SlowConsumerEvents uint64
	// AckErrors counts JetStream acks that could not be sent (the message
	// is delivered again and dropped as a duplicate); AsyncErrors other
	// errors the connection or the consumer reported.
	AckErrors, AsyncErrors uint64
}

// Dropped counts dropped messages by reason.
type Dropped struct {
	// Sending side.
	Encode          uint64 // a value the codec cannot encode (logged)
	Subject         uint64 // no valid subject for the topic, or a subject that is no topic
	ReconnectBuffer uint64 // the connection's reconnect buffer was full
	Closed          uint64 // the connection was closed or draining
	// Receiving side.
	SlowConsumer uint64 // dropped by the connection: the engine did not keep up (core NATS)
	Malformed    uint64 // no bridge envelope
	Own          uint64 // the bridge's own messages (JetStream delivers them back)
	Filtered     uint64 // on a subscribed subject whose topic no import pattern matches
	Decode       uint64 // the codec could not decode it
	Engine       uint64 // the engine refused the put (shut down)
}

// Total returns the sum of the counts.
func (d Dropped) Total() uint64 {
	return d.Encode + d.Subject + d.ReconnectBuffer + d.Closed + d.SlowConsumer +
		d.Malformed + d.Own + d.Filtered + d.Decode + d.Engine
}

// Stats returns a snapshot of the bridge's statistics.
func (b *Bridge) Stats() Stats {
	c := &b.st
	s := Stats{
		Origin:             b.origin,
		Sent:               c.sent.Load(),
		Published:          c.published.Load(),
		Retries:            c.retries.Load(),
		DuplicateAcks:      c.dupAcks.Load(),
		PublishErrors:      c.publishErrors.Load(),
		Received:           c.received.Load(),
		Duplicates:         c.duplicates.Load(),
		Gaps:               c.gaps.Load(),
		Reordered:          c.reordered.Load(),
		Reconnects:         c.reconnects.Load(),
		Disconnects:        c.disconnects.Load(),
		SlowConsumerEvents: c.slowEvents.Load(),
		AckErrors:          c.ackErrors.Load(),
		AsyncErrors:        c.asyncErrors.Load(),
		Dropped: Dropped{
			Encode:          c.dropEncode.Load(),
			Subject:         c.dropSubject.Load(),
			ReconnectBuffer: c.dropReconnectBuf.Load(),
			Closed:          c.dropClosed.Load(),
			SlowConsumer:    c.dropSlowGone.Load() + b.slowDropped(),
			Malformed:       c.dropMalformed.Load(),
			Own:             c.dropOwn.Load(),
			Filtered:        c.dropFiltered.Load(),
			Decode:          c.dropDecode.Load(),
			Engine:          c.dropEngine.Load(),
		},
	}
	if b.cfg.js == nil {
		s.Published = s.Sent
	} else if js := b.jsp.Load(); js != nil {
		s.PendingAcks = js.pending()
	}
	return s
}

package natsbridge

import (
	"errors"
	"fmt"
	"math/bits"
	"unsafe"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/natsbridge/wire"
	"github.com/eventengine/eventengine/topic"
	"github.com/nats-io/nats.go"
)

// route is what the bridge knows about one local topic. Only the engine's
// dispatch loop reads and writes routes (b.routes), so they need no lock.
// b.routes is bounded (gens, WithStateLimit): a route not used while
// limit others were is forgotten and computed again on the topic's next
// message, and its counter then starts a new run (see envelope).
type route struct {
	// owner is the index (in b.patterns) of the first bridge pattern that
	// matches the topic: of the bridge's hooks a message reaches, only
	// this one acts, so a topic matching two patterns is exported once.
	owner      int
	exportable bool
	importable bool
	subject    string
	err        error  // the topic has no valid subject (counted, logged once per route)
	seq        uint64 // the origin's sequence on this topic, in this run
	epoch      uint64 // the run's epoch (see envelope); set with its first message
}

// routeOf returns the route of t, computing it on first use.
func (b *Bridge) routeOf(t topic.Topic) *route {
	if r, ok := b.routes.get(t); ok {
		return r
	}
	r := &route{owner: -1}
	for i, p := range b.patterns {
		if p.Matches(t) {
			r.owner = i
			break
		}
	}
	r.exportable = matchesAny(b.cfg.export, t)
	r.importable = matchesAny(b.cfg.imports, t)
	if r.exportable {
		r.subject, r.err = b.cfg.mapper.Subject(t)
		if r.err != nil {
			b.log.Error("natsbridge: topic not exported: no valid subject", "topic", t.String(), "err", r.err)
		}
	}
	b.routes.put(t, r)
	return r
}

// onMessage returns the handler of the bridge's hook on b.patterns[i]. It
// runs on the engine's dispatch loop.
func (b *Bridge) onMessage(i int) func(event.Message) {
	return func(m event.Message) {
		r := b.routeOf(m.Topic)
		if r.owner != i {
			return
		}
		if r.importable && b.imp.n.Load() != 0 {
			key := unsafe.Pointer(unsafe.SliceData(m.Args))
			if b.js != nil {
				// Acked by afterDelivery: only whether to export is left.
				if !r.exportable || b.imp.imported(key) {
					return // imported: never exported again
				}
			} else if b.imp.delivered(key) {
				return // imported: never exported again
			}
		}
		if r.exportable {
			b.export(r, m)
		}
	}
}

// export publishes m. The sequences are consumed only by a message the
// connection (or the JetStream retry queue) took, so a receiver's gaps are
// losses between the connections, and the sender's own drops are counted
// here by reason.
func (b *Bridge) export(r *route, m event.Message) {
	if r.err != nil {
		b.st.dropSubject.Add(1)
		return
	}
	env := b.envelopeOf(r)
	buf := appendEnvelope(b.buf[:0], env)
	buf, err := encode(b.cfg.codec, buf, m)
	b.buf = buf[:0]
	if err != nil {
		if n := b.st.dropEncode.Add(1); logNow(n) {
			b.log.Error("natsbridge: message not exported: cannot encode it", "topic", m.Topic.String(), "err", err, "count", n)
		}
		return
	}
	if b.js != nil {
		err = b.js.publish(r.subject, buf, env)
	} else {
		err = b.nc.Publish(r.subject, buf)
	}
	if err != nil {
		b.publishFailed(m.Topic, err)
		return
	}
	b.took(r, env)
	if b.js == nil {
		b.st.sent.Add(1) // JetStream: counted at the ack
	}
}

// envelopeOf returns the envelope of the next message on r's topic. The
// first message of a run takes epoch 0 while the bridge never forgot a
// route, so that the common case (the topics in use fit) sends version 1
// envelopes; after that its own sequence, which is above every sequence of
// the topic's earlier runs. The sequences and the epoch are the route's
// once the message was taken.
func (b *Bridge) envelopeOf(r *route) envelope {
	env := envelope{origin: b.origin, seq: b.seq + 1, topicSeq: r.seq + 1, epoch: r.epoch}
	if r.seq == 0 && b.routes.dropped != 0 {
		env.epoch = env.seq
	}
	return env
}

// took consumes the sequences of env, a message the connection took.
func (b *Bridge) took(r *route, env envelope) {
	b.seq, r.seq, r.epoch = env.seq, env.topicSeq, env.epoch
}

func (b *Bridge) publishFailed(t topic.Topic, err error) {
	var n uint64
	switch {
	case errors.Is(err, nats.ErrReconnectBufExceeded):
		n = b.st.dropReconnectBuf.Add(1)
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining):
		n = b.st.dropClosed.Add(1)
	default:
		n = b.st.publishErrors.Add(1)
	}
	if logNow(n) {
		b.log.Error("natsbridge: message not exported", "topic", t.String(), "err", err, "count", n)
	}
}

// logNow reports whether the n-th occurrence of a repeated failure is
// logged: the first and then every power of two, so a failing stream of
// messages does not flood the log while the counts stay exact in Stats.
func logNow(n uint64) bool { return bits.OnesCount64(n) == 1 }

func matchesAny(patterns []topic.Topic, t topic.Topic) bool {
	for _, p := range patterns {
		if p.Matches(t) {
			return true
		}
	}
	return false
}

// errCodecPanic reports a codec (or its Fallback) that panicked.
var errCodecPanic = errors.New("natsbridge: codec panicked")

// encode runs the codec, turning a panic into an error: a codec may be the
// user's, and a panic in the export hook would lose the message without a
// trace in the bridge's statistics.
func encode(c wire.Codec, dst []byte, m event.Message) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = dst, fmt.Errorf("%w: %v", errCodecPanic, r)
		}
	}()
	return c.AppendEncode(dst, m.Args, m.Kwargs)
}

// decode is encode's counterpart: a panic would end the importing
// goroutine.
func decode(c wire.Codec, data []byte) (args []any, kwargs map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			args, kwargs, err = nil, nil, fmt.Errorf("%w: %v", errCodecPanic, r)
		}
	}()
	if o, ok := c.(wire.OwnedDecoder); ok {
		return o.DecodeOwned(data) // data is the message's own (nats.go copies each payload)
	}
	return c.Decode(data)
}

package natsbridge

import (
	"unsafe"

	"github.com/eventengine/eventengine/event"
)

// Delivery is what the bridge knows of an imported message (see
// Bridge.Delivery).
type Delivery struct {
	// Origin is the sending bridge's origin id (WithOrigin), Seq the
	// origin's sequence of the message: together they name the message
	// among everything every bridge ever exported.
	Origin, Seq uint64
	// Stream is the message's sequence in the JetStream stream (JetStream
	// mode; 0 in core NATS mode). It grows with every message the stream
	// stores, so a handler that keeps the Stream of the last message it
	// handled, in the same write as what it did with it, knows which
	// messages a new process must not handle again.
	Stream uint64
	// Redelivered says that the message may have reached handlers before,
	// in a process that died while delivering it: with
	// JetStream.Checkpoint, the first message after the checkpoint of a
	// process that did not shut down (at most one message per crash); with
	// the durable consumer, a message the stream delivers again
	// (NumDelivered above 1: its ack did not reach the server). It is
	// false for every message a handler cannot have had before. A handler
	// that keeps no record of its own can check its effect for this one
	// message.
	Redelivered bool
}

// Delivery returns what the bridge knows of m, a message it imported, while
// a handler of m runs; false for a local message, or in core NATS mode for a
// message whose topic no export pattern matches (the bridge then does not
// track it).
//
// It is the handler's half of exactly once across a crash: with
// JetStream.Checkpoint a process killed after a handler returned, and
// before the last handler of the message did (when the bridge stores its
// sequence), gets that one message again when it starts, marked
// Delivery.Redelivered (docs/bridge.md, Checkpoint). A handler that
// records Delivery.Stream with its own effect, in one write, and skips a
// message whose Stream is not above the last it recorded, handles every
// message once (TestCheckpointHandlerRecord).
func (b *Bridge) Delivery(m event.Message) (Delivery, bool) {
	key := unsafe.Pointer(unsafe.SliceData(m.Args))
	if key == nil {
		return Delivery{}, false
	}
	im := &b.imp
	im.mu.Lock()
	f := im.inflight[key]
	if f == nil {
		f = im.recent.find(key)
	}
	im.mu.Unlock()
	if f == nil {
		return Delivery{}, false
	}
	d := Delivery{Origin: f.key.origin, Seq: f.key.seq, Stream: f.stream, Redelivered: f.redelivered}
	if f.msg != nil {
		if md, err := f.msg.Metadata(); err == nil {
			if d.Stream == 0 {
				d.Stream = md.Sequence.Stream
			}
			d.Redelivered = md.NumDelivered > 1
		}
	}
	return d, true
}

// recentRing holds the last messages the bridge's hook saw in core NATS
// mode (JetStream keeps them in flight until they are delivered), so that
// Delivery answers for a handler that runs after the hook (one registered
// on the same pattern after Start, or on a pattern hooked later). Its keys
// keep their Args arrays allocated (an unsafe.Pointer is a reference the
// collector follows), so an address in the ring cannot name another
// message meanwhile. Guarded by importer.mu.
type recentRing struct {
	keys    [recentSize]unsafe.Pointer
	entries [recentSize]*inflight
	next    int
}

// recentSize is more than the hooks of one message, the only ones that can
// run between the bridge's hook and a handler asking about that message.
const recentSize = 64

// add enters f and returns the entry it replaced, which nothing else
// refers to any more.
func (r *recentRing) add(key unsafe.Pointer, f *inflight) (old *inflight) {
	old = r.entries[r.next]
	r.keys[r.next], r.entries[r.next] = key, f
	r.next = (r.next + 1) % recentSize
	return old
}

func (r *recentRing) find(key unsafe.Pointer) *inflight {
	for i := range r.keys {
		if r.keys[i] == key {
			return r.entries[i]
		}
	}
	return nil
}

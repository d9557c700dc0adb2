package natsbridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// importer turns received NATS messages into puts. Its maps are guarded by
// mu: the core importer goroutine or the JetStream callback write them, the
// engine's loop takes inflight entries.
type importer struct {
	b  *Bridge
	mu sync.Mutex
	// subjects caches the topic of each received subject; origins and
	// states are what is known of each origin and of each origin's
	// sequence on each topic. All three are bounded the same way (gens,
	// WithStateLimit): an entry not used while limit others were is
	// forgotten, and a message that finds none starts one afresh.
	subjects gens[string, *inTopic]
	origins  gens[uint64, *originState]
	states   gens[stateKey, *seqState]
	// inflight holds the messages put on the engine and not yet
	// delivered, by the address of their Args array (the engine passes
	// Args on without copying it, and the importer gives every message an
	// array of its own): the bridge's hook does not export them again;
	// core NATS: the hook forgets them; JetStream: afterDelivery does, and
	// acks them or stores their sequence.
	inflight map[unsafe.Pointer]*inflight
	byID     map[msgKey]*inflight // JetStream: the same, by origin and sequence
	tail     *inflight            // JetStream.Checkpoint: the last message put, until the hook sees it
	recent   recentRing           // the last messages the hook saw (Bridge.Delivery)
	// free holds records that left the recent ring, for the next puts:
	// a record a message saves the allocation of (BenchmarkEndToEndBothWays).
	free []*inflight
	n    atomic.Int64 // len(inflight), read by the loop without mu

	ctx    context.Context // ends the puts of a stopping importer
	cancel context.CancelFunc
}

// maxAbove bounds the out-of-order sequences remembered per origin and
// topic in JetStream mode (see seqState).
const maxAbove = 1 << 16

type inTopic struct {
	t   topic.Topic
	err error // not a topic, or no import pattern matches it
	// track says that the bridge's hook sees the message (its topic
	// matches an export pattern, or acks are due): only then is it kept
	// in inflight.
	track bool
}

type msgKey struct{ origin, seq uint64 }

type inflight struct {
	key msgKey
	msg jetstream.Msg // JetStream: the delivery to ack once the hook saw it
	// sseq is, with JetStream.Checkpoint, the stream sequence to store
	// once the hook saw it: the message's, or that of a later message
	// that was not put (importer.skip).
	sseq uint64
	// stream is the message's own stream sequence with
	// JetStream.Checkpoint (0 otherwise: see Bridge.Delivery).
	stream uint64
	// redelivered: the message after a dirty checkpoint's sequence
	// (Delivery.Redelivered).
	redelivered bool
}

// originState is what the importer knows of one origin.
type originState struct {
	maxSeq uint64 // highest per-origin sequence seen
}

// stateKey names the sequence window of one origin on one topic.
type stateKey struct {
	origin uint64
	t      topic.Topic
}

// seqState tracks one origin's sequence on one topic. Counting starts at
// the first sequence received (start): a receiver that joins late, or a
// durable consumer that resumes, has not lost what came before. Every
// sequence from start to floor was seen, and so were those in above
// (JetStream: a delivery after a redelivery can come out of order) and in
// below (before start, arriving late). Core NATS never fills a gap, so
// there floor jumps over it.
//
// A window covers one run of the topic's counter at the origin (epoch, see
// envelope): a message of a later run replaces it with the new run's,
// counted from 1.
type seqState struct {
	started           bool
	epoch             uint64
	start, floor, max uint64
	above, below      map[uint64]struct{}
}

func (im *importer) init(b *Bridge) {
	im.b = b
	n := b.cfg.stateLimit
	im.subjects = newGens[string, *inTopic](n)
	im.origins = newGens[uint64, *originState](n)
	im.states = newGens[stateKey, *seqState](n)
	im.inflight = make(map[unsafe.Pointer]*inflight)
	im.byID = make(map[msgKey]*inflight)
	im.ctx, im.cancel = context.WithCancel(context.Background())
}

// topicOf returns what is known of subject. im.mu is held.
func (im *importer) topicOf(subject string) *inTopic {
	if it, ok := im.subjects.get(subject); ok {
		return it
	}
	b := im.b
	it := &inTopic{}
	t, err := b.cfg.mapper.Topic(subject)
	switch {
	case err != nil:
		it.err = err
	case !t.IsExact():
		it.err = fmt.Errorf("subject %q maps to %q, which is not an exact topic", subject, t.String())
	case !matchesAny(b.cfg.imports, t):
		it.err = errFiltered
	default:
		it.t = t
		it.track = b.js != nil || matchesAny(b.cfg.export, t)
	}
	im.subjects.put(subject, it)
	return it
}

var errFiltered = errors.New("no import pattern matches the topic")

// verdict is what admit decided about a received message.
type verdict int

const (
	vDeliver verdict = iota
	vDrop            // dropped and counted (malformed, own, filtered)
	vDuplicate
)

// admit checks a received message: its envelope, origin, topic and
// sequence. It returns the window that saw the sequence, nil for a message
// delivered without one (of a run older than the window's). im.mu is held.
//
// A message that finds no window (the first of its origin on its topic, or
// the first since the window was forgotten) starts one at its sequence,
// as a receiver that joins late does: no gap, no duplicate. In JetStream
// mode it is first looked up among the messages in flight (put, not yet
// acked), which the stream redelivers while the engine holds them: so a
// forgotten window lets no such copy through. A copy of a message acked
// (the ack lost) whose window was forgotten is delivered again, like a
// message of an older run: see docs/bridge.md, "State bounds".
func (im *importer) admit(subject string, data []byte, durable bool) (*inTopic, envelope, []byte, *seqState, verdict) {
	b := im.b
	env, payload, err := parseEnvelope(data)
	if err != nil {
		if n := b.st.dropMalformed.Add(1); logNow(n) {
			b.log.Warn("natsbridge: message dropped", "subject", subject, "err", err, "count", n)
		}
		return nil, env, nil, nil, vDrop
	}
	if env.origin == b.origin {
		b.st.dropOwn.Add(1)
		return nil, env, nil, nil, vDrop
	}
	it := im.topicOf(subject)
	if it.err != nil {
		if it.err == errFiltered {
			b.st.dropFiltered.Add(1)
		} else if n := b.st.dropSubject.Add(1); logNow(n) {
			b.log.Warn("natsbridge: message dropped", "subject", subject, "err", it.err, "count", n)
		}
		return nil, env, nil, nil, vDrop
	}
	o, ok := im.origins.get(env.origin)
	if !ok {
		o = &originState{}
		im.origins.put(env.origin, o)
	}
	k := stateKey{env.origin, it.t}
	s, ok := im.states.get(k)
	if durable && (!ok || env.epoch != s.epoch) {
		if _, dup := im.byID[msgKey{env.origin, env.seq}]; dup {
			b.st.duplicates.Add(1)
			return it, env, nil, nil, vDuplicate
		}
	}
	switch {
	case !ok:
		s = &seqState{epoch: env.epoch}
		im.states.put(k, s)
	case env.epoch > s.epoch:
		// A new run: the sender forgot the topic and began its counter
		// again. This receiver saw the topic before, so the run's
		// messages before this one are lost (or, in JetStream mode, yet
		// to be redelivered): count from 1. A new window rather than
		// the old one reset: unsee may still be called on the old.
		s = &seqState{epoch: env.epoch, started: true, start: 1}
		im.states.replace(k, s)
	case env.epoch < s.epoch:
		// Of an older run, whose window is gone: core NATS keeps the
		// origin's order, so only JetStream brings one (a redelivery
		// after a lost delivery or a failed put, or a retried publish),
		// and it is more likely new than a copy. Delivered; its gap, if
		// the old window had counted one, stays counted.
		s = nil
	}
	if s != nil && !s.see(env.topicSeq, durable, &b.st) {
		b.st.duplicates.Add(1)
		return it, env, nil, s, vDuplicate
	}
	if env.seq < o.maxSeq {
		b.st.reordered.Add(1)
	} else {
		o.maxSeq = env.seq
	}
	return it, env, payload, s, vDeliver
}

// see records sequence q and reports whether it is new.
func (s *seqState) see(q uint64, durable bool, st *counters) bool {
	if !s.started {
		s.started = true
		s.start, s.floor, s.max = q, q, q
		return true
	}
	if q < s.start {
		return addSeq(&s.below, q)
	}
	if q <= s.floor {
		return false
	}
	if !durable {
		if q > s.floor+1 {
			st.gaps.Add(q - s.floor - 1)
		}
		s.floor, s.max = q, q
		return true
	}
	if _, dup := s.above[q]; dup {
		return false
	}
	switch {
	case q > s.max:
		if q > s.max+1 {
			st.gaps.Add(q - s.max - 1) // for now: a redelivery may fill it
		}
		s.max = q
	default:
		st.gaps.Add(^uint64(0)) // q filled a gap: one fewer
	}
	if q == s.floor+1 {
		s.floor++
		s.absorb()
		return true
	}
	addSeq(&s.above, q)
	if len(s.above) > maxAbove {
		// Forget the oldest gap: a message that never came is not
		// coming now, and the set must stay bounded.
		s.floor++
		s.absorb()
	}
	return true
}

// unsee forgets sequence q, seen by a message that then could not be put
// (JetStream: it is delivered again, and must not be taken for a copy).
// A nil s (the message had no window, see admit) has nothing to forget.
func (s *seqState) unsee(q uint64, st *counters) {
	if s == nil {
		return
	}
	switch {
	case q < s.start:
		delete(s.below, q)
	case q <= s.floor:
		// Keep what follows q as seen out of order, q as missing.
		for x := q + 1; x <= s.floor; x++ {
			addSeq(&s.above, x)
		}
		s.floor = q - 1
		st.gaps.Add(1)
	default:
		if _, ok := s.above[q]; ok {
			delete(s.above, q)
			st.gaps.Add(1)
		}
	}
}

// absorb moves floor over the sequences in above that follow it.
func (s *seqState) absorb() {
	for {
		if _, ok := s.above[s.floor+1]; !ok {
			return
		}
		delete(s.above, s.floor+1)
		s.floor++
	}
}

// addSeq adds q to *set and reports whether it was new; the set keeps at
// most maxAbove sequences (it is emptied beyond: it is for stragglers).
func addSeq(set *map[uint64]struct{}, q uint64) bool {
	if *set == nil {
		*set = make(map[uint64]struct{})
	}
	if _, dup := (*set)[q]; dup {
		return false
	}
	if len(*set) >= maxAbove {
		clear(*set)
	}
	(*set)[q] = struct{}{}
	return true
}

// put decodes payload and puts it on the engine. A message whose hook must
// see it is entered in inflight first (the loop may deliver it at once).
// msg is the delivery to ack (durable JetStream), sseq the stream sequence
// to checkpoint (JetStream.Checkpoint).
func (im *importer) put(it *inTopic, env envelope, payload []byte, msg jetstream.Msg, sseq uint64) error {
	b := im.b
	args, kwargs, err := decode(b.cfg.codec, payload)
	if err != nil {
		if n := b.st.dropDecode.Add(1); logNow(n) {
			b.log.Warn("natsbridge: message dropped: cannot decode it", "topic", it.t.String(), "err", err, "count", n)
		}
		if sseq != 0 {
			im.mu.Lock()
			im.skip(sseq)
			im.mu.Unlock()
		}
		return nil // a message that cannot be decoded never will be: ack it
	}
	var key unsafe.Pointer
	if it.track {
		if cap(args) == 0 {
			args = make([]any, 0, 1) // an array of its own, to be recognised by
		}
		key = unsafe.Pointer(unsafe.SliceData(args))
		im.mu.Lock()
		f := im.record()
		*f = inflight{key: msgKey{env.origin, env.seq}, msg: msg, sseq: sseq, stream: sseq,
			redelivered: sseq != 0 && sseq == b.js.redo}
		im.inflight[key] = f
		if msg != nil {
			im.byID[f.key] = f
		}
		if sseq != 0 {
			im.tail = f
		}
		im.n.Store(int64(len(im.inflight)))
		im.mu.Unlock()
	}
	if err := b.e.Publish(im.ctx, it.t, args, kwargs); err != nil {
		if key != nil {
			im.mu.Lock()
			im.forget(key)
			im.mu.Unlock()
		}
		return err
	}
	b.st.received.Add(1)
	return nil
}

// record returns a record for a message to put: a free one, or a new
// one. im.mu is held.
func (im *importer) record() *inflight {
	if n := len(im.free); n > 0 {
		f := im.free[n-1]
		im.free = im.free[:n-1]
		return f
	}
	return new(inflight)
}

// maxFree bounds the free records kept after a burst.
const maxFree = 4096

// forget removes an inflight entry. im.mu is held.
func (im *importer) forget(key unsafe.Pointer) *inflight {
	f := im.inflight[key]
	if f == nil {
		return nil
	}
	delete(im.inflight, key)
	if f.msg != nil && im.byID[f.key] == f {
		delete(im.byID, f.key)
	}
	if im.tail == f {
		im.tail = nil
	}
	im.n.Store(int64(len(im.inflight)))
	return f
}

// imported reports whether the message whose Args array is at key was
// imported and is being delivered (JetStream mode, from the bridge's hook:
// afterDelivery forgets it).
func (im *importer) imported(key unsafe.Pointer) bool {
	if key == nil {
		return false
	}
	im.mu.Lock()
	_, ok := im.inflight[key]
	im.mu.Unlock()
	return ok
}

// afterDelivery is the bridge's engine.AfterDelivery function in JetStream
// mode with imports: once every handler of an imported message is done
// with it, whatever the order they were registered in, it acks the
// message or stores its stream sequence in the checkpoint. A crash before
// that delivers the message again to the next process; no handler can
// miss it (TestAckAfterLateHandlers).
func (b *Bridge) afterDelivery(m event.Message) {
	if b.imp.n.Load() != 0 {
		b.imp.delivered(unsafe.Pointer(unsafe.SliceData(m.Args)))
	}
}

// delivered is called on the loop once an imported message was delivered
// (core NATS: by the bridge's hook; JetStream: by afterDelivery): it
// reports whether the message whose Args array is at key was imported, and
// acks it in JetStream mode, or stores its stream sequence in the
// checkpoint (JetStream.Checkpoint: as soon as possible, since a crash
// before the store delivers it again to the next process).
func (im *importer) delivered(key unsafe.Pointer) bool {
	if key == nil {
		return false
	}
	im.mu.Lock()
	f := im.forget(key)
	var msg jetstream.Msg
	if f != nil {
		if old := im.recent.add(key, f); old != nil && len(im.free) < maxFree {
			*old = inflight{} // the delivery it held is acked: not kept alive
			im.free = append(im.free, old)
		}
		msg = f.msg
		if f.sseq != 0 {
			im.b.js.ckpt.store(f.sseq)
		}
	}
	im.mu.Unlock()
	if f == nil {
		return false
	}
	if msg != nil {
		if err := msg.Ack(); err != nil {
			// Not lost: the stream delivers it again, and the window
			// drops the copy (counted as a duplicate).
			im.b.st.ackErrors.Add(1)
		}
	}
	return true
}

// subscribe makes the core NATS subscriptions of the import patterns, all
// feeding one channel so that one goroutine puts messages in the order
// they arrived.
func (b *Bridge) subscribe() error {
	ch := make(chan *nats.Msg, b.cfg.pendingMsgs)
	seen := make(map[string]bool)
	for _, p := range b.cfg.imports {
		f, err := b.cfg.mapper.Filter(p)
		if err != nil {
			return fmt.Errorf("natsbridge: import pattern %q: %w", p.String(), err)
		}
		if seen[f] {
			continue
		}
		seen[f] = true
		sub, err := b.nc.ChanSubscribe(f, ch)
		if err != nil {
			return fmt.Errorf("natsbridge: subscribe %q (pattern %q): %w", f, p.String(), err)
		}
		b.subMu.Lock()
		b.subs = append(b.subs, sub)
		b.subMu.Unlock()
	}
	if err := b.nc.Flush(); err != nil {
		return fmt.Errorf("natsbridge: subscribe: %w", err)
	}
	b.stopImp, b.impDone = make(chan struct{}), make(chan struct{})
	go b.importLoop(ch, b.stopImp, b.impDone)
	return nil
}

func (b *Bridge) importLoop(ch <-chan *nats.Msg, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for {
		// A received message first, without the two-case select: a stream
		// keeps the channel non-empty, and a one-case receive with default
		// costs less than a select (BenchmarkEndToEnd's profile: selectgo
		// was a tenth of the importer).
		select {
		case m := <-ch:
			b.importCore(m)
			continue
		default:
		}
		select {
		case m := <-ch:
			b.importCore(m)
		case <-stop:
			// The subscriptions are gone: put what was received.
			for {
				select {
				case m := <-ch:
					b.importCore(m)
				default:
					return
				}
			}
		}
	}
}

func (b *Bridge) importCore(m *nats.Msg) {
	im := &b.imp
	im.mu.Lock()
	it, env, payload, _, v := im.admit(m.Subject, m.Data, false)
	im.mu.Unlock()
	if v != vDeliver {
		return
	}
	if err := im.put(it, env, payload, nil, 0); err != nil {
		b.st.dropEngine.Add(1)
		b.log.Warn("natsbridge: imported message not put", "topic", it.t.String(), "err", err)
	}
}

// stopImport ends importing: no new message is taken, the ones received
// are put (until ctx ends). b.mu is held.
func (b *Bridge) stopImport(ctx context.Context) {
	b.subMu.Lock()
	defer b.subMu.Unlock()
	for _, s := range b.subs {
		if n, err := s.Dropped(); err == nil {
			b.st.dropSlowGone.Add(uint64(n))
		}
		s.Unsubscribe()
	}
	b.subs = nil
	if b.js != nil {
		b.js.stopConsume(ctx, b)
	}
	if b.stopImp != nil {
		close(b.stopImp)
		select {
		case <-b.impDone:
		case <-ctx.Done():
			b.imp.cancel()
			<-b.impDone
		}
		b.stopImp = nil
	}
	b.imp.cancel()
}

// slowDropped sums the messages the connection dropped for slow
// consumption on the live subscriptions.
func (b *Bridge) slowDropped() uint64 {
	b.subMu.Lock()
	defer b.subMu.Unlock()
	var n uint64
	for _, s := range b.subs {
		if d, err := s.Dropped(); err == nil {
			n += uint64(d)
		}
	}
	return n
}

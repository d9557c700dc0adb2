package natsbridge

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventengine/eventengine/natsbridge/wire"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// JetStream configures JetStream mode (WithJetStream). Zero fields take the
// defaults given.
type JetStream struct {
	// Stream is the stream's name (default "EVENTENGINE"). It is created
	// if missing and updated to this configuration otherwise.
	Stream string
	// Subjects the stream stores (default the prefix followed by ".>").
	Subjects []string
	// Replicas of the stream in a cluster (default 1).
	Replicas int
	// Storage of the stream (default file storage).
	Storage jetstream.StorageType
	// MaxAge of stored messages (default unlimited).
	MaxAge time.Duration
	// Duplicates is the stream's de-duplication window (default 2 min):
	// a message published again within it with the same id (origin and
	// sequence) is stored once.
	Duplicates time.Duration
	// Durable is the name of the durable consumer of the import patterns
	// (default "eventengine"). It resumes where it stopped after a
	// restart. Processes that share a durable share its messages, each
	// getting some; give every receiving process its own.
	Durable string
	// DeliverNew makes a new durable start with the messages published
	// after its creation (default: everything the stream holds). A durable
	// that exists resumes where it stopped either way.
	DeliverNew bool
	// AckWait is how long the stream waits for the ack of a delivered
	// message before delivering it again (default 30 s).
	AckWait time.Duration
	// MaxAckPending bounds the delivered, unacknowledged messages
	// (default 4096).
	MaxAckPending int
	// MaxPending bounds the asynchronous publishes waiting for their ack
	// (default 4096); the engine's loop waits for room beyond it, which
	// slows the local producers down rather than losing messages.
	MaxPending int
	// AckTimeout is how long a publish waits for its ack before it is
	// published again (default 5 s).
	AckTimeout time.Duration
	// RetryWait is the pause before publishing again after a publish the
	// connection refused (default 100 ms).
	RetryWait time.Duration
	// Checkpoint, a file path, makes the import side ordered and exactly
	// once (default "": the durable consumer, at least once across a
	// crash). The bridge then keeps in that file the stream sequence of
	// the last imported message all of whose handlers on the engine are
	// done with it, and
	// consumes with an ordered consumer (no Durable, no acks) that starts
	// after it: messages come in the stream's order with no gap, also
	// after a server restart, and a delivery at or below the last
	// sequence taken is dropped (Stats.Duplicates).
	//
	// The sequence is written for every message, on the engine's loop, by
	// an 8-byte store to a shared mapping of the file (Linux; a pwrite
	// elsewhere). A process killed at any point leaves the old value or
	// the new one; the page cache keeps it for the next process. A machine
	// crash (power, kernel) may lose the values written since the last
	// sync: Shutdown syncs the file, Bridge.SyncCheckpoint syncs it on
	// demand.
	//
	// Across a crash of the process every handler, whenever it was
	// registered, gets every message at least once and, but for the
	// message being handled when the process died, exactly once
	// (docs/bridge.md, "Checkpoint"); Bridge.Delivery lets a handler tell
	// that one message apart.
	//
	// The file is created if missing and records the stream (its name and
	// creation time) and the import filters: Start refuses a file of
	// another stream, of a stream since created again, of other import
	// patterns, a damaged one, or one another bridge holds (ErrCheckpoint).
	// Give every importing bridge its own file. Durable and AckWait do not
	// apply (no acks), MaxAckPending bounds only the batches pulled;
	// DeliverNew makes a new file start after the stream's last message
	// (an existing file resumes where it is).
	Checkpoint string
	// Inactive is how long the server keeps the ordered consumer of a
	// Checkpoint bridge that went away without a Shutdown (a killed
	// process, a connection down for longer) before it deletes it
	// (default 30 s; nats.go's own default is 5 minutes). A bridge that
	// comes back later makes a new one from its checkpoint, so a short
	// time loses nothing; a consumer kept longer only holds server state.
	Inactive time.Duration
}

// WithJetStream turns on JetStream mode (see JetStream for the defaults).
func WithJetStream(cfg JetStream) Option {
	return func(c *config) error {
		c.js = &cfg
		return nil
	}
}

func (j *JetStream) check(m wire.Mapper) error {
	if j.Stream == "" {
		j.Stream = "EVENTENGINE"
	}
	if strings.ContainsAny(j.Stream, ".*> \t\r\n") {
		return fmt.Errorf("%w: JetStream stream name %q: no '.', '*', '>' or whitespace allowed", ErrOption, j.Stream)
	}
	if len(j.Subjects) == 0 {
		if m.Prefix == "" {
			return fmt.Errorf("%w: JetStream without a prefix needs Subjects (a stream on every subject would also capture the server's own)", ErrOption)
		}
		j.Subjects = []string{m.Prefix + ".>"}
	}
	if j.Durable == "" {
		j.Durable = "eventengine"
	}
	if strings.ContainsAny(j.Durable, ".*> \t\r\n") {
		return fmt.Errorf("%w: JetStream durable name %q: no '.', '*', '>' or whitespace allowed", ErrOption, j.Durable)
	}
	if j.Replicas == 0 {
		j.Replicas = 1
	}
	if j.Replicas < 0 || j.MaxAckPending < 0 || j.MaxPending < 0 {
		return fmt.Errorf("%w: JetStream replicas %d, max ack pending %d, max pending %d: none may be negative", ErrOption, j.Replicas, j.MaxAckPending, j.MaxPending)
	}
	if j.Duplicates == 0 {
		j.Duplicates = 2 * time.Minute
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"AckWait", j.AckWait}, {"AckTimeout", j.AckTimeout}, {"RetryWait", j.RetryWait}, {"Duplicates", j.Duplicates}, {"Inactive", j.Inactive}} {
		if d.d < 0 {
			return fmt.Errorf("%w: JetStream %s %v: a duration may not be negative (0 takes the default)", ErrOption, d.name, d.d)
		}
	}
	j.AckWait = durationOr(j.AckWait, 30*time.Second)
	j.Inactive = durationOr(j.Inactive, 30*time.Second)
	j.AckTimeout = durationOr(j.AckTimeout, 5*time.Second)
	j.RetryWait = durationOr(j.RetryWait, 100*time.Millisecond)
	if j.MaxAckPending == 0 {
		j.MaxAckPending = 4096
	}
	if j.MaxPending == 0 {
		j.MaxPending = 4096
	}
	return nil
}

// jsState is a started bridge's JetStream side.
type jsState struct {
	cfg JetStream
	b   *Bridge
	js  jetstream.JetStream
	cc  jetstream.ConsumeContext

	info *jetstream.StreamInfo // the stream when Start set it up

	// gate lets Shutdown wait for a delivery callback under way.
	gate    sync.RWMutex
	stopped bool

	// Checkpoint mode (JetStream.Checkpoint): the file, and, under dmu,
	// which serialises the deliveries of the ordered consumer (the one of
	// its consumer before a reset may still be under way when the next
	// consumer's first arrives), the last stream sequence taken and
	// whether a put failed (then nothing more is put: what follows is
	// delivered again to the next process, after the checkpoint).
	ckpt   *checkpoint
	redo   uint64 // the stream sequence after a dirty checkpoint's (Delivery.Redelivered)
	dmu    sync.Mutex
	last   uint64
	broken bool

	// retry holds publishes to make again (refused by the connection,
	// failed, or not acknowledged in time); out counts them and those
	// being republished, so that Shutdown waits for them.
	rmu   sync.Mutex
	rcond *sync.Cond
	retry []*nats.Msg
	out   atomic.Int64
	quit  chan struct{} // closed when waiting is given up
	wg    sync.WaitGroup
	once  sync.Once
}

func (b *Bridge) startJetStream(ctx context.Context) (*jsState, error) {
	s := &jsState{cfg: *b.cfg.js, b: b, quit: make(chan struct{})}
	s.rcond = sync.NewCond(&s.rmu)
	js, err := jetstream.New(b.nc,
		jetstream.WithPublishAsyncMaxPending(s.cfg.MaxPending),
		jetstream.WithPublishAsyncTimeout(s.cfg.AckTimeout),
		jetstream.WithPublishAsyncErrHandler(s.onPublishError),
		jetstream.WithPublishAsyncAckHandler(s.onAck),
	)
	if err != nil {
		return nil, fmt.Errorf("natsbridge: jetstream: %w", err)
	}
	s.js = js
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       s.cfg.Stream,
		Subjects:   s.cfg.Subjects,
		Storage:    s.cfg.Storage,
		Replicas:   s.cfg.Replicas,
		MaxAge:     s.cfg.MaxAge,
		Duplicates: s.cfg.Duplicates,
	})
	if err != nil {
		return nil, fmt.Errorf("natsbridge: stream %s: %w", s.cfg.Stream, err)
	}
	s.info = st.CachedInfo()
	s.wg.Add(1)
	go s.retryLoop()
	return s, nil
}

// publish hands one exported message to JetStream. It runs on the loop; data
// is copied, since the message lives until its ack.
func (s *jsState) publish(subject string, data []byte, env envelope) error {
	m := &nats.Msg{Subject: subject, Data: bytes.Clone(data),
		Header: nats.Header{jetstream.MsgIDHeader: []string{msgID(env.origin, env.seq)}}}
	s.b.st.published.Add(1)
	if s.out.Load() > 0 {
		// Publishes wait to be made again: this one goes behind them, so
		// that the stream keeps the origin's order.
		s.enqueue(m, true)
		return nil
	}
	_, err := s.js.PublishMsgAsync(m)
	if err == nil {
		return nil
	}
	if permanent(err) {
		s.b.st.published.Add(^uint64(0))
		return err
	}
	s.enqueue(m, true)
	return nil
}

// permanent reports whether a publish error will not go away by publishing
// again. Of the stream's answers only a message too large, JetStream not
// enabled, and a bad request are final; the others (unavailable, no leader,
// "duplicate message id is in process" while a cluster still replicates
// the first copy, limits that a consumer may relieve) are retried until
// Shutdown gives up.
func permanent(err error) bool {
	var api *jetstream.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode {
		case jetstream.JSErrCodeStreamMessageExceedsMaximum,
			jetstream.JSErrCodeJetStreamNotEnabled, jetstream.JSErrCodeJetStreamNotEnabledForAccount:
			return true
		}
		return api.Code == 400
	}
	return errors.Is(err, nats.ErrMaxPayload) || errors.Is(err, nats.ErrBadSubject) ||
		errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrAsyncPublishReplySubjectSet)
}

// enqueue adds m to the retry queue. From the loop (wait) it waits while
// the queue holds MaxPending messages, so that an outage slows the local
// producers down instead of filling memory; from nats.go's callbacks it
// never waits.
func (s *jsState) enqueue(m *nats.Msg, wait bool) {
	s.out.Add(1)
	s.rmu.Lock()
	for wait && len(s.retry) >= s.cfg.MaxPending && !s.isQuit() {
		s.rcond.Wait()
	}
	s.retry = append(s.retry, m)
	s.rmu.Unlock()
	s.rcond.Broadcast()
}

func (s *jsState) isQuit() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}

// onPublishError is nats.go's callback for a failed asynchronous publish.
func (s *jsState) onPublishError(_ jetstream.JetStream, m *nats.Msg, err error) {
	if permanent(err) || s.isQuit() {
		n := s.b.st.publishErrors.Add(1)
		s.b.st.published.Add(^uint64(0))
		if logNow(n) {
			s.b.log.Error("natsbridge: JetStream refused a message", "subject", m.Subject, "id", m.Header.Get(jetstream.MsgIDHeader), "err", err, "count", n)
		}
		return
	}
	s.b.st.retries.Add(1)
	s.enqueue(m, false)
}

func (s *jsState) onAck(_ jetstream.JetStream, _ *nats.Msg, ack *jetstream.PubAck) {
	s.b.st.sent.Add(1)
	if ack != nil && ack.Duplicate {
		s.b.st.dupAcks.Add(1)
	}
}

// retryLoop publishes the retry queue again, pausing RetryWait after a
// refusal.
func (s *jsState) retryLoop() {
	defer s.wg.Done()
	for {
		s.rmu.Lock()
		for len(s.retry) == 0 && !s.isQuit() {
			s.rcond.Wait()
		}
		if s.isQuit() {
			n := len(s.retry)
			s.retry = nil
			s.rmu.Unlock()
			s.out.Add(int64(-n))
			return
		}
		batch := s.retry
		s.retry = nil
		s.rmu.Unlock()
		s.rcond.Broadcast()
		// A disconnection fails the pending publishes in no particular
		// order: publish them again in the origin's order.
		slices.SortFunc(batch, func(a, b *nats.Msg) int { return cmp.Compare(seqOf(a), seqOf(b)) })
		for i, m := range batch {
			_, err := s.js.PublishMsgAsync(m)
			if err == nil {
				s.out.Add(-1)
				continue
			}
			if permanent(err) {
				s.out.Add(-1)
				s.onPublishError(nil, m, err)
				continue
			}
			// Put the rest back in front and pause.
			s.rmu.Lock()
			s.retry = append(slices.Clone(batch[i:]), s.retry...)
			s.rmu.Unlock()
			t := time.NewTimer(s.cfg.RetryWait)
			select {
			case <-t.C:
			case <-s.quit:
				t.Stop()
			}
			break
		}
	}
}

// seqOf returns the per-origin sequence of an exported message.
func seqOf(m *nats.Msg) uint64 {
	env, _, _ := parseEnvelope(m.Data)
	return env.seq
}

// pending returns the publishes not yet acknowledged.
func (s *jsState) pending() int { return s.js.PublishAsyncPending() + int(s.out.Load()) }

// wait waits for every publish to be acknowledged (or to fail for good).
func (s *jsState) wait(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond) // the retry queue has no completion signal
	defer tick.Stop()
	for s.pending() > 0 {
		select {
		case <-s.js.PublishAsyncComplete():
		case <-tick.C:
		case <-ctx.Done():
			n := s.pending()
			s.giveUp()
			return fmt.Errorf("%w: %d when waiting ended: %w", ErrPendingAcks, n, ctx.Err())
		}
	}
	if n := s.b.st.publishErrors.Load(); n > 0 {
		return fmt.Errorf("%w: %d messages refused by stream %s", ErrPublish, n, s.cfg.Stream)
	}
	return nil
}

func (s *jsState) giveUp() {
	s.once.Do(func() { close(s.quit) })
	s.rcond.Broadcast()
}

// stop ends the retry goroutine and closes the checkpoint (synced), marked
// clean unless an imported message is still on its way through the
// engine (a handler still has it, or WithoutEngineShutdown left it queued:
// it would reach handlers without the checkpoint moving over it).
func (s *jsState) stop() error {
	s.giveUp()
	s.wg.Wait()
	im := &s.b.imp
	im.mu.Lock()
	defer im.mu.Unlock()
	return s.ckpt.close(len(im.inflight) == 0)
}

// consume creates (or updates) the durable consumer of the import
// patterns and starts receiving.
func (s *jsState) consume(ctx context.Context, b *Bridge) error {
	var filters []string
	for _, p := range b.cfg.imports {
		f, err := b.cfg.mapper.Filter(p)
		if err != nil {
			return fmt.Errorf("natsbridge: import pattern %q: %w", p.String(), err)
		}
		filters = append(filters, f)
	}
	filters = minimalFilters(filters)
	if s.cfg.Checkpoint != "" {
		return s.consumeOrdered(ctx, filters)
	}
	deliver := jetstream.DeliverAllPolicy
	if s.cfg.DeliverNew {
		deliver = jetstream.DeliverNewPolicy
	}
	cons, err := s.js.CreateOrUpdateConsumer(ctx, s.cfg.Stream, jetstream.ConsumerConfig{
		Durable:        s.cfg.Durable,
		FilterSubjects: filters,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        s.cfg.AckWait,
		MaxAckPending:  s.cfg.MaxAckPending,
		DeliverPolicy:  deliver,
	})
	if err != nil {
		return fmt.Errorf("natsbridge: consumer %s on stream %s: %w", s.cfg.Durable, s.cfg.Stream, err)
	}
	cc, err := cons.Consume(s.onDelivery, s.consumeOpts("consumer")...)
	if err != nil {
		return fmt.Errorf("natsbridge: consume %s: %w", s.cfg.Durable, err)
	}
	s.cc = cc
	return nil
}

// consumeOpts are the options of a consumer's Consume: its batch, and
// its errors counted and logged (what names the consumer in the log).
func (s *jsState) consumeOpts(what string) []jetstream.PullConsumeOpt {
	b := s.b
	return []jetstream.PullConsumeOpt{
		jetstream.PullMaxMessages(min(s.cfg.MaxAckPending, 1024)),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			b.st.asyncErrors.Add(1)
			b.log.Debug("natsbridge: "+what, "err", err)
		}),
	}
}

// onDelivery receives one message of the durable consumer. A message is
// acked only once all its handlers are done with it (Bridge.afterDelivery),
// or when it is dropped for good; a copy of one already put is acked, or,
// while the first is still on its way through the engine, left to its ack.
func (s *jsState) onDelivery(msg jetstream.Msg) {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.stopped {
		return // not acked: delivered again after the restart
	}
	b := s.b
	im := &b.imp
	im.mu.Lock()
	it, env, payload, seqs, v := im.admit(msg.Subject(), msg.Data(), true)
	if v == vDuplicate {
		if f := im.byID[msgKey{env.origin, env.seq}]; f != nil {
			f.msg = msg // ack the latest delivery
			im.mu.Unlock()
			return
		}
	}
	im.mu.Unlock()
	if v != vDeliver {
		msg.Ack()
		return
	}
	if err := im.put(it, env, payload, msg, 0); err != nil {
		b.st.dropEngine.Add(1)
		im.mu.Lock()
		seqs.unsee(env.topicSeq, &b.st) // its redelivery is no copy
		im.mu.Unlock()
		msg.Nak() // delivered again
		return
	}
}

// stopConsume stops the consumer and waits for a delivery under way.
func (s *jsState) stopConsume(ctx context.Context, b *Bridge) {
	if s.cc != nil {
		s.cc.Stop()
	}
	done := make(chan struct{})
	go func() {
		s.gate.Lock()
		s.stopped = true
		s.gate.Unlock()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		b.imp.cancel()
		<-done
	}
	if s.cc != nil {
		<-s.cc.Closed()
	}
}

// minimalFilters drops the filters another filter of the list covers: a
// consumer's filter subjects must not overlap.
func minimalFilters(fs []string) []string {
	slices.Sort(fs)
	fs = slices.Compact(fs)
	var out []string
	for i, f := range fs {
		covered := false
		for j, g := range fs {
			if i != j && covers(g, f) && !(covers(f, g) && j > i) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, f)
		}
	}
	return out
}

// covers reports whether NATS filter g matches every subject filter f does.
func covers(g, f string) bool {
	gt, ft := strings.Split(g, "."), strings.Split(f, ".")
	for i, t := range gt {
		if t == ">" {
			return len(ft) > i
		}
		if i >= len(ft) {
			return false
		}
		switch {
		case t == "*":
			if ft[i] == ">" {
				return false
			}
		case t != ft[i]:
			return false
		}
	}
	return len(gt) == len(ft)
}

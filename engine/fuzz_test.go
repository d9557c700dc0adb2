package engine

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/topic"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// fuzzTopics are the topics the engine fuzzer publishes on and subscribes
// with: exact ones, and generic ones that match some of them.
var fuzzTopics = []string{"A.x", "A.y", "B.x", "A.{v}", "{k}.x", "(A|B).(x|z)", "A./^[xy]$/"}

// model is what the engine should have delivered: for each subscription
// (topic index), the sequence ids it received, in order.
type model struct {
	subs     map[int]bool // registered subscription topics
	received map[int][]uint64
	queue    []uint64 // seq ids accepted, not yet delivered or taken
	topicOf  map[uint64]int
	nextSeq  uint64
}

// FuzzEngine runs random sequences of register / unregister / put / get /
// drain (Shutdown, Start, Stop) / start-then-stop against the engine and checks every delivery
// against a simple model: which subscriptions match which topic, FIFO
// order, nothing lost, nothing twice.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 3, 2, 0, 2, 1, 4, 2, 0, 5})
	f.Add([]byte{1, 5, 2, 0, 2, 0, 2, 0, 3, 6, 2, 1, 4, 7, 5})
	f.Add([]byte{0, 0, 0, 6, 2, 0, 2, 1, 2, 2, 3, 2, 4, 5, 1, 0})
	f.Add([]byte{0, 3, 2, 0, 2, 1, 2, 2, 6, 0, 0, 4, 2, 0, 6, 0, 4, 0, 5, 0})
	f.Fuzz(checkEngineOps)
}

// TestEngineOpsRandom runs FuzzEngine's check on 2,000 pseudo-random
// operation sequences (a fixed seed, so every run tries the same ones).
func TestEngineOpsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 2000
	if testing.Short() {
		n = 200
	}
	for range n {
		ops := make([]byte, 2*rng.IntN(100))
		for i := range ops {
			ops[i] = byte(rng.IntN(256))
		}
		checkEngineOps(t, ops)
		if t.Failed() {
			t.Fatalf("ops %v", ops)
		}
	}
}

// checkEngineOps applies ops to an engine and to the model and compares.
func checkEngineOps(t *testing.T, ops []byte) {
	{
		if len(ops) > 400 {
			ops = ops[:400]
		}
		e, err := New(WithCapacity(8), WithLogger(discardLogger()))
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if e.Active() {
				e.Stop()
			}
		}()
		parsed := make([]topic.Topic, len(fuzzTopics))
		for i, s := range fuzzTopics {
			parsed[i] = topic.MustParse(s)
		}
		m := &model{subs: map[int]bool{}, received: map[int][]uint64{}, topicOf: map[uint64]int{}}
		got := map[int][]uint64{}
		ids := map[int]event.ID{}
		handler := func(sub int) func(event.Message) {
			return func(msg event.Message) { got[sub] = append(got[sub], msg.Seq) }
		}
		// deliver applies the model for messages the loop delivered.
		deliverModel := func(n int) {
			for _, seq := range m.queue[:n] {
				for sub := range m.subs {
					if parsed[sub].Matches(parsed[m.topicOf[seq]]) {
						m.received[sub] = append(m.received[sub], seq)
					}
				}
			}
			m.queue = m.queue[n:]
		}
		// The loop runs only inside "drain", so the model knows exactly what
		// was delivered: register/unregister change the subscriptions
		// between deliveries, as in the engine.
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%7, int(ops[i+1])
			switch op {
			case 0: // register
				sub := arg % len(fuzzTopics)
				if m.subs[sub] {
					continue
				}
				id, err := e.RegisterFunc(parsed[sub], handler(sub))
				if err != nil {
					t.Fatal(err)
				}
				ids[sub], m.subs[sub] = id, true
			case 1: // unregister
				sub := arg % len(fuzzTopics)
				err := e.UnregisterHandler(parsed[sub], ids[sub])
				if m.subs[sub] != (err == nil) {
					t.Fatalf("unregister %s: %v (registered: %v)", fuzzTopics[sub], err, m.subs[sub])
				}
				delete(m.subs, sub)
			case 2: // put on an exact topic
				pub := arg % 3
				err := e.TryPut(parsed[pub])
				if len(m.queue) == e.Capacity() {
					if !errors.Is(err, ErrFull) {
						t.Fatalf("put on a full queue: %v", err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("put: %v", err)
				}
				m.nextSeq++
				m.queue = append(m.queue, m.nextSeq)
				m.topicOf[m.nextSeq] = pub
			case 3: // put on a generic topic: refused, consumes no id
				if err := e.TryPut(parsed[3+arg%4]); !errors.Is(err, ErrNotExact) {
					t.Fatalf("put on a generic topic: %v", err)
				}
			case 4: // get
				msg, err := e.TryGet()
				if len(m.queue) == 0 {
					if !errors.Is(err, ErrEmpty) {
						t.Fatalf("get on empty: %v", err)
					}
					continue
				}
				if err != nil || msg.Seq != m.queue[0] || msg.Topic != parsed[m.topicOf[msg.Seq]] {
					t.Fatalf("get: %v seq %d, want %d", err, msg.Seq, m.queue[0])
				}
				m.queue = m.queue[1:]
			case 5: // drain: run the loop until everything queued is delivered
				n := len(m.queue)
				if err := e.Shutdown(context.Background()); err != nil {
					t.Fatal(err)
				}
				deliverModel(n)
				e.Start() // reopen
				e.Stop()
			case 6: // start then stop at once: the loop delivers some prefix of the queue
				before := e.Stats().Delivered
				e.Start()
				e.Stop()
				k := e.Stats().Delivered - before
				if k > uint64(len(m.queue)) {
					t.Fatalf("start/stop delivered %d, %d were queued", k, len(m.queue))
				}
				deliverModel(int(k))
			}
			if e.Occupied() != len(m.queue) {
				t.Fatalf("occupied %d, model %d", e.Occupied(), len(m.queue))
			}
		}
		n := len(m.queue)
		if err := e.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		deliverModel(n)
		for sub := range fuzzTopics {
			if !slices.Equal(got[sub], m.received[sub]) {
				t.Fatalf("%s received %v, model %v", fuzzTopics[sub], got[sub], m.received[sub])
			}
		}
		s := e.Stats()
		if s.Accepted != m.nextSeq || s.Accepted != s.Delivered+s.Taken || s.Queued != 0 {
			t.Fatalf("stats %+v, model accepted %d", s, m.nextSeq)
		}
	}
}

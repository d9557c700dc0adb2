package natsbridge

import (
	"encoding/binary"
	"errors"
	"github.com/eventengine/eventengine/natsbridge/natsserver"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventengine/eventengine/engine"
	"github.com/eventengine/eventengine/topic"
)

func TestSeqState(t *testing.T) {
	cases := []struct {
		name    string
		durable bool
		seqs    []uint64
		fresh   []bool
		gaps    uint64
	}{
		{"in order", false, []uint64{1, 2, 3}, []bool{true, true, true}, 0},
		{"late start is no loss", false, []uint64{500, 501}, []bool{true, true}, 0},
		{"core gap", false, []uint64{1, 2, 5, 6}, []bool{true, true, true, true}, 2},
		{"core duplicate", false, []uint64{1, 2, 2, 1}, []bool{true, true, false, false}, 0},
		{"durable gap filled", true, []uint64{1, 4, 2, 3, 5}, []bool{true, true, true, true, true}, 0},
		{"durable gap open", true, []uint64{1, 4, 2}, []bool{true, true, true}, 1},
		{"durable redelivery", true, []uint64{1, 3, 2, 3, 1, 2}, []bool{true, true, true, false, false, false}, 0},
		{"durable straggler before start", true, []uint64{10, 11, 9, 9}, []bool{true, true, true, false}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s seqState
			var st counters
			var got []bool
			for _, q := range c.seqs {
				got = append(got, s.see(q, c.durable, &st))
			}
			if !slices.Equal(got, c.fresh) || st.gaps.Load() != c.gaps {
				t.Fatalf("see %v: fresh %v gaps %d, want %v gaps %d", c.seqs, got, st.gaps.Load(), c.fresh, c.gaps)
			}
		})
	}
}

// A sequence forgotten (its put failed) is new again, and the others stay
// seen.
func TestSeqStateUnsee(t *testing.T) {
	var st counters
	for _, c := range []struct {
		seen   []uint64
		forget uint64
	}{{[]uint64{5, 6, 7}, 6}, {[]uint64{5, 6, 7}, 5}, {[]uint64{5, 6, 7}, 7}, {[]uint64{5, 9}, 9}, {[]uint64{5, 3}, 3}} {
		var s seqState
		for _, q := range c.seen {
			s.see(q, true, &st)
		}
		s.unsee(c.forget, &st)
		for _, q := range c.seen {
			if fresh := s.see(q, true, &st); fresh != (q == c.forget) {
				t.Errorf("seen %v, forgot %d: see(%d) = %v", c.seen, c.forget, q, fresh)
			}
		}
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	for _, env := range []envelope{
		{1, 1, 1, 0}, {^uint64(0), ^uint64(0), 1 << 40, 0}, {42, 7, 3, 0}, // version 1
		{42, 7, 3, 5}, {42, 7, 1, 7}, {^uint64(0), ^uint64(0), 1 << 40, 1 << 50}, {1, 1, 1, 1}, // version 2
	} {
		b := appendEnvelope([]byte("x")[:0], env)
		if want := byte(envVersion + min(env.epoch, 1)); b[1] != want {
			t.Errorf("%+v: version %d, want %d", env, b[1], want)
		}
		b = append(b, "payload"...)
		got, rest, err := parseEnvelope(b)
		if err != nil || got != env || string(rest) != "payload" {
			t.Fatalf("%+v: got %+v %q %v", env, got, rest, err)
		}
	}
	v2 := func(seq, topicSeq, age uint64) []byte {
		b := append([]byte{envMagic, envVersion2}, make([]byte, 8)...)
		b = binary.AppendUvarint(b, seq)
		b = binary.AppendUvarint(b, topicSeq)
		return binary.AppendUvarint(b, age)
	}
	if _, _, err := parseEnvelope(v2(10, 3, 9)); err != nil {
		t.Fatalf("a valid version 2 envelope: %v", err)
	}
	for _, bad := range [][]byte{nil, {envMagic}, []byte("not a bridge message at all"), append([]byte{envMagic, 9}, make([]byte, 12)...),
		v2(10, 3, 10),     // epoch 0 in version 2
		v2(10, 3, 1),      // 3 messages of the run in 2 sequences
		v2(10, 3, 9)[:12], // no age
	} {
		if _, _, err := parseEnvelope(bad); err == nil {
			t.Errorf("%x: no error", bad)
		}
	}
	_, _, err := parseEnvelope(append([]byte{envMagic, 3}, make([]byte, 12)...))
	if !errors.Is(err, errEnvelope) || !strings.Contains(err.Error(), "version 3") {
		t.Errorf("a version 3 envelope: %v, want an error naming the version", err)
	}
}

func FuzzEnvelope(f *testing.F) {
	f.Add(appendEnvelope(nil, envelope{1, 2, 3, 0}))
	f.Add(appendEnvelope(nil, envelope{1, 9, 3, 4}))
	f.Add([]byte{envMagic, envVersion})
	f.Fuzz(func(t *testing.T, data []byte) {
		env, rest, err := parseEnvelope(data)
		if err != nil {
			return
		}
		again := append(appendEnvelope(nil, env), rest...)
		if env2, rest2, err := parseEnvelope(again); err != nil || env2 != env || string(rest2) != string(rest) {
			t.Fatalf("%x: re-encoded %x parses as %+v %x %v", data, again, env2, rest2, err)
		}
	})
}

func TestMsgID(t *testing.T) {
	if got := msgID(0xabc, 42); got != "0000000000000abc-42" {
		t.Fatal(got)
	}
	if got := msgID(^uint64(0), ^uint64(0)); got != "ffffffffffffffff-18446744073709551615" {
		t.Fatal(got)
	}
}

func TestMinimalFilters(t *testing.T) {
	got := minimalFilters([]string{"ee.A.*", "ee.A.>", "ee.B.x", "ee.B.*", "ee.C", "ee.A.*"})
	want := []string{"ee.A.>", "ee.B.*", "ee.C"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, c := range []struct {
		g, f string
		want bool
	}{{"a.>", "a.b", true}, {"a.>", "a", false}, {"a.*", "a.>", false}, {"a.*.c", "a.b.c", true}, {"a.b", "a.*", false}, {">", "a", true}} {
		if got := covers(c.g, c.f); got != c.want {
			t.Errorf("covers(%q, %q) = %v, want %v", c.g, c.f, got, c.want)
		}
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	e := engine.MustNew()
	for name, opts := range map[string][]Option{
		"nil engine":           nil,
		"zero export pattern":  {WithExport(topic.Topic{})},
		"zero import pattern":  {WithImport(mustParse(t, "A"), topic.Topic{})},
		"bad prefix":           {WithPrefix("a..b")},
		"nil codec":            {WithCodec(nil)},
		"origin 0":             {WithOrigin(0)},
		"pending limit 0":      {WithPendingLimit(0)},
		"JetStream, no prefix": {WithPrefix(""), WithJetStream(JetStream{})},
		"JetStream bad name":   {WithJetStream(JetStream{Stream: "a.b"})},
		"negative AckWait":     {WithJetStream(JetStream{AckWait: -time.Second})},
		"negative Inactive":    {WithJetStream(JetStream{Checkpoint: "x", Inactive: -1})},
		"negative Duplicates":  {WithJetStream(JetStream{Duplicates: -time.Minute})},
	} {
		eng := e
		if name == "nil engine" {
			eng = nil
		}
		if _, err := New(eng, "nats://127.0.0.1:1", opts...); !errors.Is(err, ErrOption) {
			t.Errorf("%s: New returned %v, want ErrOption", name, err)
		}
	}
}

func TestSummary(t *testing.T) {
	st := Stats{Sent: 10, Received: 7, Gaps: 2, Duplicates: 1, Reconnects: 1,
		Dropped: Dropped{SlowConsumer: 3, ReconnectBuffer: 1}}
	s := st.Summary(false)
	// lost: the reconnect-buffer drop, and the larger of gaps (2) and
	// slow-consumer drops (3).
	if s.Lost != 4 || s.Dropped != 4 {
		t.Fatalf("%+v: want lost 4, dropped 4", s)
	}
	if got, want := s.String(), "core: sent 10, received 7, lost 4, duplicates dropped 1, dropped 4, pending acks 0, reconnects 1"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// Start makes the engine's loop park when idle and Shutdown puts the
// setting back; WithLoopSpin leaves it alone, and so does a bridge
// connected InProcess (its pipe needs no network poll).
func TestBridgeParksLoop(t *testing.T) {
	srv := startServer(t, natsserver.Options{Port: -1})
	for _, c := range []struct {
		name string
		opts []Option
		park bool
	}{
		{"socket", nil, true},
		{"WithLoopSpin", []Option{WithLoopSpin()}, false},
		{"InProcess", []Option{InProcess(srv)}, false},
	} {
		e := startEngine(t)
		b := startBridgeURL(t, e, srv.ClientURL(), append([]Option{WithoutEngineShutdown()}, c.opts...)...)
		// SetParkWhenIdle reports the setting it replaces: put it back as it was.
		parked := e.SetParkWhenIdle(false)
		e.SetParkWhenIdle(parked)
		if parked != c.park {
			t.Fatalf("%s: loop parks when idle = %v after Start, want %v", c.name, parked, c.park)
		}
		if err := b.Shutdown(ctxFor(t)); err != nil {
			t.Fatal(err)
		}
		if e.SetParkWhenIdle(false) {
			t.Fatalf("%s: the loop still parks when idle after Shutdown", c.name)
		}
	}
}

// Package bench runs the eventengine benchmark scenarios against the event
// systems a Go developer would otherwise pick, in one process and one run:
// a buffered channel (the baseline), eventengine, asaskevich/EventBus,
// gookit/event, kelindar/event, watermill's gochannel, NATS with an
// embedded server, and smarty/go-disruptor (the queue alone).
//
// The scenarios, the payload and the delivery count are those of the
// shared harness (internal/scenario, also behind `eventengine bench`): each
// system is a scenario.System, one file per peer, and every delivery is
// counted, so a system that loses or duplicates a message fails the run.
// This package adds a pilot run per measurement (so that a slow system
// gets fewer messages rather than an hour), an order check, and the
// reports (JSON, Markdown, SVG) of the peerbench command.
//
// It is its own module so that the core module keeps no third-party
// dependency.
package bench

import (
	"encoding/binary"

	"github.com/eventengine/eventengine/internal/scenario"
)

// Systems returns every system, the baseline first.
func Systems() []scenario.System {
	return []scenario.System{
		scenario.Channel{},
		scenario.Engine{},
		EventBus{},
		Gookit{},
		Kelindar{},
		Watermill{},
		NATS{},
		Disruptor{},
	}
}

// Topics every system uses (where it has topics).
const (
	exactTopic = "Market.Data.AAPL"
	// wildcardSubject and nonMatching are the wildcard subscriptions in a
	// one-part-per-star syntax (NATS subjects, gookit path mode).
	wildcardSubject = "Market.*.*"
	nonMatching     = "Feed%d.*.*"
)

// table keeps every message of a run by sequence number, for systems that
// carry bytes across: the bytes carry the payload (sequence number and
// send time); the receiving side finds the harness's message by number.
type table []*scenario.Msg

func newTable(s scenario.Scenario) table { return make(table, s.Messages) }

func (t table) put(m *scenario.Msg) { t[m.Seq] = m }

// payloadSize is the wire size of a message: sequence number and send time.
const payloadSize = 16

// encode appends m's wire form to b.
func encode(b []byte, m *scenario.Msg) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(m.Seq))
	return binary.LittleEndian.AppendUint64(b, uint64(m.Sent))
}

// decode returns the message whose wire form is b.
func (t table) decode(b []byte) *scenario.Msg {
	return t[int64(binary.LittleEndian.Uint64(b))]
}

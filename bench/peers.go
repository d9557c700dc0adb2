// Package bench runs the eventengine benchmark scenarios against the event
// systems a Go developer would otherwise pick, in one process and one run:
// a buffered channel (the baseline), eventengine, asaskevich/EventBus,
// gookit/event, kelindar/event, watermill's gochannel, NATS with an
// embedded server, and smarty/go-disruptor (the queue alone).
//
// It is its own module so that the core module keeps no third-party
// dependency.
package bench

import (
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

// table keeps every message of a run by sequence number, for systems that
// carry only bytes or a number across.
type table []*scenario.Msg

func newTable(s scenario.Scenario) table { return make(table, s.Messages) }

func (t table) put(m *scenario.Msg)         { t[m.Seq] = m }
func (t table) get(seq int64) *scenario.Msg { return t[seq] }
func encode(b []byte, seq int64) []byte {
	return append(b, byte(seq), byte(seq>>8), byte(seq>>16), byte(seq>>24), byte(seq>>32), byte(seq>>40), byte(seq>>48), byte(seq>>56))
}
func decode(b []byte) int64 {
	var v int64
	for i := 7; i >= 0; i-- {
		v = v<<8 | int64(b[i])
	}
	return v
}

package event

import (
	"iter"
	"unsafe"

	"github.com/eventengine/eventengine/topic"
)

// A Message is passed by value to every handler, so its size is a cost of
// every call: the build fails if it grows past 56 bytes on a 64-bit
// platform (Topic 8, Args 24, Kwargs 8, Seq 8 and the hook that delivers it
// 8), or past the same six words and a uint64 on a 32-bit one.
var (
	_ [6*unsafe.Sizeof(uintptr(0)) + 8 - unsafe.Sizeof(Message{})]byte
	_ [unsafe.Sizeof(Message{}) - (6*unsafe.Sizeof(uintptr(0)) + 8)]byte
)

// param is one named wildcard of a hook's topic: its name and position.
type param struct {
	name string
	pos  int
}

// paramsOf returns the named wildcards of t, in order, for Param; nil when
// t has none (an exact topic), so that an exact hook costs nothing.
func paramsOf(t topic.Topic) []param {
	var ps []param
	for i, p := range t.Parts() {
		if p.Kind() == topic.KindAny {
			ps = append(ps, param{name: p.Name(), pos: i})
		}
	}
	return ps
}

// Param returns the literal that the named wildcard name of the
// subscription delivering m bound: for a handler of
// Market.Data.{symbol}, m.Param("symbol") of a message on
// Market.Data.AAPL is "AAPL". It returns "" when that topic has no
// wildcard of that name, and for a message no hook delivered (one made by
// hand or taken with Get). Literals are never empty, so "" means "not
// bound". If a name appears at several positions, the first is read.
//
// Param does not match the topics again: the hook knows the positions of
// its wildcards, so it costs a comparison per wildcard and allocates
// nothing (BenchmarkParam).
func (m Message) Param(name string) string {
	h := m.via
	if h == nil {
		return ""
	}
	for i := range h.params {
		if p := &h.params[i]; p.name == name {
			return m.Topic.Part(p.pos).Literal()
		}
	}
	return ""
}

// Params iterates the named wildcards the subscription delivering m bound,
// as (name, literal) pairs in topic order; nothing for a message no hook
// delivered. It is the allocation-free form of
// m.Pattern().Match(m.Topic).Values().
func (m Message) Params() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		if m.via == nil {
			return
		}
		for _, p := range m.via.params {
			if !yield(p.name, m.Topic.Part(p.pos).Literal()) {
				return
			}
		}
	}
}

// Rest returns the parts of m.Topic that the > ending the delivering
// subscription's topic covers, as one text: "Data.AAPL" for a handler of
// Market.> and a message on Market.Data.AAPL. ok is false when that topic
// does not end in >, and for a message no hook delivered. It does not
// match again and allocates nothing (topic.Topic.Rest).
func (m Message) Rest() (rest string, ok bool) {
	if m.via == nil {
		return "", false
	}
	return m.via.topic.Rest(m.Topic)
}

// Pattern returns the topic of the hook that delivers m: the subscription
// pattern that matched m.Topic (m.Topic itself for an exact hook), or the
// zero Topic for a message no hook delivered.
func (m Message) Pattern() topic.Topic {
	if m.via == nil {
		return topic.Topic{}
	}
	return m.via.topic
}

// delivered returns m as the hook h delivers it, for Param and Pattern.
func (m Message) delivered(h *Hook) Message {
	m.via = h
	return m
}

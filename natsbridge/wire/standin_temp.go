// Package wire is a TEMPORARY stand-in for h-wire's package (subject mapping
// and codecs), written against its API contract so that the bridge builds
// before it lands. Delete this file after merging h-wire.
package wire

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/eventengine/eventengine/topic"
)

// Mapper maps topics to subjects (stand-in: no escaping).
type Mapper struct {
	Prefix        string
	AllowNonASCII bool
	MaxSubject    int
}

func (m Mapper) Subject(t topic.Topic) (string, error) {
	b, err := m.AppendSubject(nil, t)
	return string(b), err
}

func (m Mapper) AppendSubject(dst []byte, t topic.Topic) ([]byte, error) {
	if !t.IsExact() {
		return dst, errors.New("wire: not exact")
	}
	if m.Prefix != "" {
		dst = append(dst, m.Prefix...)
		dst = append(dst, '.')
	}
	dst = append(dst, t.String()...)
	if m.MaxSubject > 0 && len(dst) > m.MaxSubject {
		return dst, errors.New("wire: subject too long")
	}
	return dst, nil
}

func (m Mapper) Topic(subject string) (topic.Topic, error) {
	if m.Prefix != "" {
		if !strings.HasPrefix(subject, m.Prefix+".") {
			return topic.Topic{}, errors.New("wire: no prefix")
		}
		subject = subject[len(m.Prefix)+1:]
	}
	return topic.Parse(subject)
}

func (m Mapper) Filter(pattern topic.Topic) (string, error) {
	var b strings.Builder
	if m.Prefix != "" {
		b.WriteString(m.Prefix)
	}
	for _, p := range pattern.Parts() {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		if p.Kind() == topic.KindExact {
			b.WriteString(p.Literal())
		} else {
			b.WriteByte('*')
		}
	}
	return b.String(), nil
}

// Codec encodes arguments.
type Codec interface {
	AppendEncode(dst []byte, args []any, kwargs map[string]any) ([]byte, error)
	Decode(data []byte) (args []any, kwargs map[string]any, err error)
	ContentType() string
}

type jsonCodec struct{}

type doc struct {
	A []any          `json:"a,omitempty"`
	K map[string]any `json:"k,omitempty"`
}

func (jsonCodec) AppendEncode(dst []byte, args []any, kwargs map[string]any) ([]byte, error) {
	b, err := json.Marshal(doc{args, kwargs})
	return append(dst, b...), err
}

func (jsonCodec) Decode(data []byte) ([]any, map[string]any, error) {
	var d doc
	err := json.Unmarshal(data, &d)
	return d.A, d.K, err
}

func (jsonCodec) ContentType() string { return "application/json" }

var (
	Binary Codec = jsonCodec{}
	JSON   Codec = jsonCodec{}
)

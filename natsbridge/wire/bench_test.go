package wire

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/eventengine/eventengine/topic"
)

// The codec benchmark: 4 positional and 3 keyword arguments.
var (
	benchArgs   = []any{"AAPL", 187.25, 300, time.Unix(1700000000, 123456789).UTC()}
	benchKwargs = map[string]any{"side": "buy", "venue": "XNAS", "seq": int64(1234567)}
)

// stdMessage is the same values for plain encoding/json.
type stdMessage struct {
	Args   []any          `json:"args,omitempty"`
	Kwargs map[string]any `json:"kwargs,omitempty"`
}

func BenchmarkEncode(b *testing.B) {
	for _, c := range []struct {
		name  string
		codec Codec
	}{{"binary", Binary}, {"json", JSON}} {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = c.codec.AppendEncode(buf[:0], benchArgs, benchKwargs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(buf)), "bytes")
		})
	}
	b.Run("encoding-json", func(b *testing.B) {
		m := stdMessage{benchArgs, benchKwargs}
		var out []byte
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if out, err = json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(out)), "bytes")
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct {
		name  string
		codec Codec
	}{{"binary", Binary}, {"json", JSON}} {
		b.Run(c.name, func(b *testing.B) {
			data, err := c.codec.AppendEncode(nil, benchArgs, benchKwargs)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := c.codec.Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("binary-owned", func(b *testing.B) {
		data, err := Binary.AppendEncode(nil, benchArgs, benchKwargs)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := Binary.(OwnedDecoder).DecodeOwned(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		data, err := json.Marshal(stdMessage{benchArgs, benchKwargs})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			var m stdMessage
			if err := json.Unmarshal(data, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSubject(b *testing.B) {
	m := Mapper{Prefix: "ee"}
	for _, text := range []string{"Market.Data.AAPL", "Desk.New York.5%"} {
		tp := topic.MustParse(text)
		subj, _ := m.Subject(tp)
		b.Run("append/"+text, func(b *testing.B) {
			buf := make([]byte, 0, 128)
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = m.AppendSubject(buf[:0], tp)
			}
		})
		b.Run("topic/"+text, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Topic(subj); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package natsbridge

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The envelope precedes the codec's bytes in every exported message:
//
//	magic (1 byte) 0xEE, version (1 byte) 1,
//	origin (8 bytes, little endian),
//	seq (uvarint): the origin's sequence over all its messages,
//	topicSeq (uvarint): the origin's sequence on this topic.
//
// It is in the payload rather than in NATS headers because headers cost a
// map, its strings and their encoding per message in nats.go
// (BenchmarkOriginEnvelope against BenchmarkOriginHeaders); JetStream mode
// adds the one header it needs, Nats-Msg-Id.
const (
	envMagic   = 0xEE
	envVersion = 1
	envMax     = 2 + 8 + 2*binary.MaxVarintLen64
)

// errEnvelope reports a message without a valid bridge envelope.
var errEnvelope = errors.New("natsbridge: not a bridge message")

type envelope struct {
	origin   uint64
	seq      uint64
	topicSeq uint64
}

func appendEnvelope(dst []byte, env envelope) []byte {
	dst = append(dst, envMagic, envVersion)
	dst = binary.LittleEndian.AppendUint64(dst, env.origin)
	dst = binary.AppendUvarint(dst, env.seq)
	return binary.AppendUvarint(dst, env.topicSeq)
}

// parseEnvelope returns the envelope of data and the codec's bytes after it.
func parseEnvelope(data []byte) (envelope, []byte, error) {
	var env envelope
	if len(data) < 12 || data[0] != envMagic {
		return env, nil, fmt.Errorf("%w: %d bytes, no envelope", errEnvelope, len(data))
	}
	if data[1] != envVersion {
		return env, nil, fmt.Errorf("%w: envelope version %d, want %d", errEnvelope, data[1], envVersion)
	}
	env.origin = binary.LittleEndian.Uint64(data[2:])
	rest := data[10:]
	var n int
	if env.seq, n = binary.Uvarint(rest); n <= 0 || env.seq == 0 {
		return env, nil, fmt.Errorf("%w: bad sequence at byte 10", errEnvelope)
	}
	rest = rest[n:]
	if env.topicSeq, n = binary.Uvarint(rest); n <= 0 || env.topicSeq == 0 {
		return env, nil, fmt.Errorf("%w: bad topic sequence at byte %d", errEnvelope, len(data)-len(rest))
	}
	return env, rest[n:], nil
}

// msgID is the JetStream de-duplication id of a message: origin and
// sequence, unique for the life of the origin.
func msgID(origin, seq uint64) string {
	var b [37]byte // 16 hex digits, "-", at most 20 decimal digits
	const hex = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b[i] = hex[origin&15]
		origin >>= 4
	}
	b[16] = '-'
	n := 17
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + seq%10)
		seq /= 10
		if seq == 0 {
			break
		}
	}
	n += copy(b[n:], d[i:])
	return string(b[:n])
}

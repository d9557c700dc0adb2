package natsbridge

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The envelope precedes the codec's bytes in every exported message:
//
//	magic (1 byte) 0xEE, version (1 byte) 1 or 2,
//	origin (8 bytes, little endian),
//	seq (uvarint): the origin's sequence over all its messages,
//	topicSeq (uvarint): the origin's sequence on this topic, in this run,
//	version 2 only: age (uvarint): seq - epoch, where epoch is the seq of
//	the run's first message.
//
// It is in the payload rather than in NATS headers because headers cost a
// map, its strings and their encoding per message in nats.go
// (BenchmarkOriginEnvelope against BenchmarkOriginHeaders); JetStream mode
// adds the one header it needs, Nats-Msg-Id.
//
// A run is one life of a topic's counter at the sender: the sender's routes
// are bounded (see gens), and a topic it forgot and sees again starts its
// counter at 1 again. The epoch tells the receiver which run a message
// belongs to, so that the restart is neither taken for copies of messages
// 1, 2, ... nor for a loss; the epochs of a topic's runs only grow (a new
// run starts after the old one's last message). It was chosen over a link
// to the topic's previous message (the per-origin seq of the last message
// on it), which the sender no longer knows once it forgot the topic, and
// which, when that message was lost, cannot tell a gap in the same run from
// a new run, so it could not count losses exactly.
//
// Epoch 0 is the run that began before the sender forgot any topic: a
// sender that never did (the topics in use fit in its limit) sends version
// 1, byte for byte what it sent before runs existed, and a receiver of this
// version reads version 1 as epoch 0. Only a message of a later run carries
// the age, in version 2; a receiver that knows version 1 only drops it as
// malformed, with an error naming the version, rather than misreading it.
// The age is seq - epoch rather than the epoch itself because the topics
// whose runs restart are the ones used briefly (one per order id), whose
// age stays small: one or two bytes.
const (
	envMagic    = 0xEE
	envVersion  = 1 // epoch 0
	envVersion2 = 2 // with the epoch
	envMax      = 2 + 8 + 3*binary.MaxVarintLen64
)

// errEnvelope reports a message without a valid bridge envelope.
var errEnvelope = errors.New("natsbridge: not a bridge message")

type envelope struct {
	origin   uint64
	seq      uint64
	topicSeq uint64
	// epoch is the seq of the first message of the topic's run at the
	// origin, or 0 for the run that began before the origin forgot any
	// topic (see above).
	epoch uint64
}

func appendEnvelope(dst []byte, env envelope) []byte {
	v := byte(envVersion)
	if env.epoch != 0 {
		v = envVersion2
	}
	dst = append(dst, envMagic, v)
	dst = binary.LittleEndian.AppendUint64(dst, env.origin)
	dst = binary.AppendUvarint(dst, env.seq)
	dst = binary.AppendUvarint(dst, env.topicSeq)
	if v == envVersion2 {
		dst = binary.AppendUvarint(dst, env.seq-env.epoch)
	}
	return dst
}

// parseEnvelope returns the envelope of data and the codec's bytes after it.
func parseEnvelope(data []byte) (envelope, []byte, error) {
	var env envelope
	if len(data) < 12 || data[0] != envMagic {
		return env, nil, fmt.Errorf("%w: %d bytes, no envelope", errEnvelope, len(data))
	}
	if v := data[1]; v != envVersion && v != envVersion2 {
		return env, nil, fmt.Errorf("%w: envelope version %d, want %d or %d (a newer sender?)", errEnvelope, v, envVersion, envVersion2)
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
	rest = rest[n:]
	if data[1] == envVersion2 {
		at := len(data) - len(rest)
		var age uint64
		// The run began at seq-age >= 1, and its topicSeq messages
		// took as many of the origin's sequences since.
		if age, n = binary.Uvarint(rest); n <= 0 || age >= env.seq || env.topicSeq-1 > age {
			return env, nil, fmt.Errorf("%w: bad epoch at byte %d", errEnvelope, at)
		}
		env.epoch = env.seq - age
		rest = rest[n:]
	}
	return env, rest, nil
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

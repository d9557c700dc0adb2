// Package wire is the wire layer of the NATS bridge: how a topic becomes a
// NATS subject and back, and how a message's arguments become a payload and
// back. It depends on the standard library and the engine's topic package
// only, so it is usable (and testable) without a NATS client.
//
// # Subjects
//
// A [Mapper] writes an exact topic as its Prefix, '.', and one subject token
// per topic part:
//
//	prefix "ee", topic Market.Data.AAPL   ->  ee.Market.Data.AAPL
//	prefix "",   topic Market.Data.AAPL   ->  Market.Data.AAPL
//	topic Fx.EUR/USD                      ->  ee.Fx.EUR/USD
//	topic Desk.New York                   ->  ee.Desk.New%20York
//	topic Rates.5%                        ->  ee.Rates.5%25
//	topic A.*.>  (literal '*' and '>')    ->  ee.A.%2A.%3E
//	topic Sys.$SYS                        ->  ee.Sys.%24SYS
//	topic Ville.Zürich                    ->  ee.Ville.Z%C3%BCrich (AllowNonASCII: ee.Ville.Zürich)
//
// Inside a token, these bytes are escaped as '%' and two upper-case hex
// digits, as in URLs: space and control bytes (a subject cannot hold
// whitespace: nats-server's IsValidSubject refuses it, and the client
// would not send it), '.', '*' and '>' anywhere in a token (the NATS naming
// rules, ADR-6, keep wildcards out of literal tokens), '%' itself, a '$' at
// the start of a token (NATS reserves subjects starting with '$', such as
// $SYS and $JS, for the system), and every non-ASCII byte unless
// AllowNonASCII is set (then only non-printable characters and U+FFFD are).
// Topic parts cannot hold '.' or control characters, so in practice the
// escapes are of spaces, wildcards, '%', '$' and non-ASCII text.
//
// [Mapper.Topic] is the exact inverse: it accepts a subject only in the form
// Subject writes (escapes where, and only where, Subject puts them), so
// each topic has one subject and each subject at most one topic, and the
// server's matching of a filter agrees with the engine's. A subject longer
// than MaxSubject ([DefaultMaxSubject] by default, which fits the server's
// default limit on a protocol line) is refused with [ErrSubjectTooLong]
// before it reaches a connection, whose server would otherwise close it.
//
// [Mapper.Filter] turns a subscription pattern into a subject filter: exact
// parts as their tokens; named wildcards, ranges, regular expressions and *
// as "*" (NATS has no alternation or regexps; the engine's own matching
// then filters what arrives), and a trailing > as ">":
//
//	Market.Data.{symbol}         ->  ee.Market.Data.*
//	Market.(Equity|Futures).Buy  ->  ee.Market.*.Buy
//	Market.Data./^[A-Z]{4}$/     ->  ee.Market.Data.*
//	Market.*.AAPL                ->  ee.Market.*.AAPL
//	Market.>                     ->  ee.Market.>
//	>                            ->  ee.>  (with an empty prefix: an error)
//
// It never makes a bare ">", which would subscribe to every subject of the
// server.
//
// # Payloads
//
// A [Codec] encodes a message's positional and keyword arguments. [Binary]
// ([BinaryCodec]) is compact and keeps every common Go type, so that
// event.Arg[T] reads the same value on both sides; [JSON] ([JSONCodec]) is
// readable and for other languages, and documents which types change.
// Values of other types go to a [Fallback], such as a [Registry]; without
// one they are an error that names the argument and its type
// (*[EncodeError]), never a silent drop.
package wire

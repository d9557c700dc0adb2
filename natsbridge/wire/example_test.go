package wire_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/eventengine/eventengine/event"
	"github.com/eventengine/eventengine/natsbridge/wire"
	"github.com/eventengine/eventengine/topic"
)

// The binary codec keeps Go types, so event.Arg reads the same value on
// the importing side.
func ExampleBinaryCodec() {
	at := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	payload, err := wire.Binary.AppendEncode(nil, []any{"AAPL", 187.25, int32(300), at}, map[string]any{"side": "buy"})
	if err != nil {
		fmt.Println(err)
		return
	}
	args, kwargs, err := wire.Binary.Decode(payload)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := event.Message{Topic: topic.MustParse("Market.Trade"), Args: args, Kwargs: kwargs}
	qty, ok := event.Arg[int32](m, 2)
	fmt.Println(qty, ok)
	t, _ := event.Arg[time.Time](m, 3)
	fmt.Println(t == at)
	side, _ := event.Kwarg[string](m, "side")
	fmt.Println(side)
	// Output:
	// 300 true
	// true
	// buy
}

// The JSON codec is readable; integers of every width read back as int.
func ExampleJSONCodec() {
	payload, _ := wire.JSON.AppendEncode(nil, []any{"AAPL", 187.25, int32(300), []byte("raw")}, map[string]any{"side": "buy"})
	fmt.Println(string(payload))
	args, _, _ := wire.JSON.Decode(payload)
	fmt.Printf("%T %T %T %T\n", args[0], args[1], args[2], args[3])
	// Output:
	// {"args":["AAPL",187.25,300,"cmF3"],"kwargs":{"side":"buy"}}
	// string float64 int string
}

// An argument of a type the codec does not know is an error that names it.
func ExampleEncodeError() {
	type Price float64
	_, err := wire.Binary.AppendEncode(nil, []any{"AAPL", Price(187.25)}, nil)
	fmt.Println(err)
	var ee *wire.EncodeError
	fmt.Println(errors.As(err, &ee), ee.Arg, errors.Is(err, wire.ErrUnsupportedType))
	// Output:
	// wire: argument 1: cannot encode wire_test.Price: unsupported type
	// true 1 true
}

// Custom types travel through a Registry, the codecs' Fallback.
func ExampleRegister() {
	type Price int64 // in ticks
	reg := new(wire.Registry)
	err := wire.Register(reg, "price",
		func(dst []byte, p Price) ([]byte, error) { return binary.AppendVarint(dst, int64(p)), nil },
		func(data []byte) (Price, error) {
			v, n := binary.Varint(data)
			if n != len(data) {
				return 0, errors.New("bad price")
			}
			return Price(v), nil
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	codec := wire.BinaryCodec{Fallback: reg}
	payload, _ := codec.AppendEncode(nil, []any{Price(18725)}, nil)
	args, _, _ := codec.Decode(payload)
	fmt.Printf("%T %v\n", args[0], args[0])
	js, _ := wire.JSONCodec{Fallback: reg}.AppendEncode(nil, []any{Price(18725)}, nil)
	fmt.Println(string(js))
	// Output:
	// wire_test.Price 18725
	// {"args":[{"$type":"price","$base64":"yqQC"}]}
}

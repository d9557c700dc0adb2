package wire

import (
	"reflect"
	"testing"
	"unsafe"
)

// TestDecodeOwned: DecodeOwned gives the values Decode gives, its strings,
// keys and []byte values are views of the payload (no copy), and it makes
// one allocation fewer (the payload copy).
func TestDecodeOwned(t *testing.T) {
	args := []any{"AAPL", []byte("raw"), 7, 2.5, true, nil}
	kwargs := map[string]any{"venue": "XNAS", "side": "buy"}
	data, err := Binary.AppendEncode(nil, args, kwargs)
	if err != nil {
		t.Fatal(err)
	}
	wantA, wantK, err := Binary.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	gotA, gotK, err := Binary.(OwnedDecoder).DecodeOwned(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotA, wantA) || !reflect.DeepEqual(gotK, wantK) {
		t.Fatalf("DecodeOwned = %v %v, Decode = %v %v", gotA, gotK, wantA, wantK)
	}
	lo, hi := uintptr(unsafe.Pointer(unsafe.SliceData(data))), uintptr(unsafe.Pointer(unsafe.SliceData(data)))+uintptr(len(data))
	within := func(p unsafe.Pointer) bool { return uintptr(p) >= lo && uintptr(p) < hi }
	if s := gotA[0].(string); !within(unsafe.Pointer(unsafe.StringData(s))) {
		t.Error("a decoded string is a copy, not a view of the payload")
	}
	if b := gotA[1].([]byte); !within(unsafe.Pointer(unsafe.SliceData(b))) || cap(b) != len(b) {
		t.Errorf("a decoded []byte is a copy, or may be appended to over the payload (len %d cap %d)", len(b), cap(b))
	}
	owned := testing.AllocsPerRun(100, func() { Binary.(OwnedDecoder).DecodeOwned(data) })
	copied := testing.AllocsPerRun(100, func() { Binary.Decode(data) })
	if owned >= copied {
		t.Errorf("DecodeOwned: %v allocations, Decode %v: want fewer", owned, copied)
	}
	if _, _, err := Binary.(OwnedDecoder).DecodeOwned(nil); err == nil {
		t.Error("DecodeOwned(nil): no error")
	}
}

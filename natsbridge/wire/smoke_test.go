package wire

import (
	"reflect"
	"testing"
	"time"

	"github.com/eventengine/eventengine/topic"
)

func TestSmoke(t *testing.T) {
	m := Mapper{Prefix: "ee"}
	tp := topic.MustParse("Desk.New York.5%.$SYS.*.Zürich")
	s, err := m.Subject(tp)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(s)
	back, err := m.Topic(s)
	if err != nil || back != tp {
		t.Fatal(back, err)
	}
	f, err := m.Filter(topic.MustParse("A.{x}.(b|c)./x+/"))
	t.Log(f, err)
	args := []any{1, int8(-3), uint64(1 << 63), 2.5, float32(1.5), "x", []byte("b"), time.Unix(5, 7).UTC(), time.Second, nil, true, []any{1, "a"}, map[string]any{"k": 1}}
	kw := map[string]any{"b": "x", "a": 1}
	for _, c := range []Codec{Binary, JSON} {
		b, err := c.AppendEncode(nil, args, kw)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s", b)
		a2, k2, err := c.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%#v %#v", a2, k2)
		if c == Binary && (!reflect.DeepEqual(a2, args) || !reflect.DeepEqual(k2, kw)) {
			t.Fatal("mismatch")
		}
	}
}

package topic_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/eventengine/eventengine/topic"
)

func ExampleParse() {
	t, err := topic.Parse("Market.+kind.(Equity|Futures)./^[A-Z]{4}$/")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t, t.Len(), t.IsExact())
	for i, p := range t.Parts() {
		fmt.Println(i, p.Kind(), p)
	}
	again, _ := topic.Parse(t.String())
	fmt.Println(again == t)

	_, err = topic.Parse("Market..AAPL")
	fmt.Println(err, errors.Is(err, topic.ErrEmptyPart))
	// Output:
	// Market.{kind}.(Equity|Futures)./^[A-Z]{4}$/ 4 false
	// 0 exact Market
	// 1 any {kind}
	// 2 range (Equity|Futures)
	// 3 pattern /^[A-Z]{4}$/
	// true
	// topic "Market..AAPL": empty part at offset 7 true
}

func ExampleTopic_Match() {
	sub := topic.MustParse("Market.{kind}.{symbol}")
	pub := topic.MustParse("Market.Data.AAPL")
	r := sub.Match(pub)
	fmt.Println(r.Matched, sub.Matches(pub), pub.Matches(sub))
	for _, n := range r.Nodes {
		fmt.Printf("%s ~ %s: %v %q\n", n.A, n.B, n.Matched, n.Literal)
	}
	values := r.Values()
	for _, name := range slices.Sorted(maps.Keys(values)) {
		fmt.Println(name, "=", values[name])
	}
	fmt.Println(sub.Matches(topic.MustParse("Market.Data")))
	// Output:
	// true true true
	// Market ~ Market: true "Market"
	// {kind} ~ Data: true "Data"
	// {symbol} ~ AAPL: true "AAPL"
	// kind = Data
	// symbol = AAPL
	// false
}

func ExampleTopic_Format() {
	tmpl := topic.MustParse("Market.{kind}.{symbol}")
	t, err := tmpl.Format(map[string]string{"kind": "Data", "symbol": "AAPL"})
	fmt.Println(t, t.IsExact(), err)

	_, err = tmpl.Format(map[string]string{"kind": "Data", "symbol": "BRK.B"})
	fmt.Println(errors.Is(err, topic.ErrBadValue))
	_, err = tmpl.Format(map[string]string{"kind": "Data"})
	fmt.Println(err)
	// Output:
	// Market.Data.AAPL true <nil>
	// true
	// topic "Market.{kind}.{symbol}": no value for wildcard ({symbol}) at offset 14
}

func ExampleTopic_FormatPartial() {
	tmpl := topic.MustParse("realtime.{ticker}.{dtype}")
	t, err := tmpl.FormatPartial(map[string]string{"ticker": "600010_SH"})
	fmt.Println(t, t.IsExact(), err)

	_, err = tmpl.FormatPartial(map[string]string{"ticker": "600010.SH"})
	fmt.Println(err)
	// Output:
	// realtime.600010_SH.{dtype} false <nil>
	// topic "realtime.{ticker}.{dtype}": invalid value ({ticker} = "600010.SH": reserved character "." at byte 6 of the value) at offset 9
}

func ExampleJoin() {
	t, err := topic.Join("Market", "Data", "AAPL")
	fmt.Println(t, err, t == topic.MustParse("Market.Data.AAPL"))

	_, err = topic.Join("Market", "a.b")
	fmt.Println(err)
	// Output:
	// Market.Data.AAPL <nil> true
	// topic "a.b": reserved character ("."; a literal is one part: to join topics, use Topic.Join) at offset 1
}

func ExampleTopic_Join() {
	base := topic.MustParse("Market.Data")
	t, err := base.Join(topic.MustParse("AAPL"))
	fmt.Println(t, t.IsExact(), err)
	sub, err := base.Join(topic.MustParse("{symbol}.>"))
	fmt.Println(sub, err)
	_, err = topic.MustParse("Market.>").Join(topic.MustParse("AAPL"))
	fmt.Println(errors.Is(err, topic.ErrRestNotLast))
	// Output:
	// Market.Data.AAPL true <nil>
	// Market.Data.{symbol}.> <nil>
	// true
}

func ExampleTopic_Append() {
	base := topic.MustParse("Market.Data")
	sym, _ := topic.AnyPart("symbol")
	t, _ := base.Append(sym)
	fmt.Println(base, t)
	// Output:
	// Market.Data Market.Data.{symbol}
}

func ExampleLookup() {
	t := topic.MustParse("Example.Lookup.Kept")
	got, ok := topic.Lookup("Example.Lookup.Kept")
	fmt.Println(got == t, ok)
	// Output:
	// true true
}

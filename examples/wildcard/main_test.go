package main

import (
	"bytes"
	"testing"
)

func TestRun(t *testing.T) {
	var b bytes.Buffer
	if err := run(&b); err != nil {
		t.Fatal(err)
	}
	want := `wildcard  Market.Data.AAPL       kind=Data symbol=AAPL
pattern   Market.Data.AAPL
wildcard  Market.Data.IBM        kind=Data symbol=IBM
wildcard  Market.Equity.Trade    kind=Equity symbol=Trade
range     Market.Equity.Trade
wildcard  Market.Bonds.Trade     kind=Bonds symbol=Trade
`
	if b.String() != want {
		t.Fatalf("got\n%s", b.String())
	}
}

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
	want := "#1 Market.Data.AAPL 187.50\n#2 Market.Data.AAPL 187.75\n#3 Market.Data.AAPL 188.00\n"
	if b.String() != want {
		t.Fatalf("got %q", b.String())
	}
}

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
	if b.String() != "took 10 messages, sum of indexes 20, queue empty\n" {
		t.Fatalf("got %q", b.String())
	}
}

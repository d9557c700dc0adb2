package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchQuick(t *testing.T) {
	code, out, errOut := runCmd(t, "", "bench", "--messages", "5000", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v struct {
		Results []struct {
			System, Scenario, NA, Error string
			Delivered, Messages         int64
		}
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(v.Results) != 10 {
		t.Fatalf("%d results, want 5 scenarios × 2 systems", len(v.Results))
	}
	for _, r := range v.Results {
		if r.Error != "" || r.NA == "" && r.Delivered < r.Messages {
			t.Errorf("%+v", r)
		}
	}
	if !strings.Contains(errOut, "eventengine") || !strings.Contains(errOut, "msgs/s") {
		t.Errorf("no progress on stderr: %q", errOut)
	}
	// Regression: --messages 0 ran the default 2,000,000 messages.
	for _, n := range []string{"0", "-1"} {
		if code, out, errOut := runCmd(t, "", "bench", "--messages", n); code != 2 || out != "" ||
			errOut != "eventengine bench: --messages must be at least 1, got "+n+"\n" {
			t.Errorf("--messages %s: exit %d, stdout %q, stderr %q", n, code, out, errOut)
		}
	}
	if code, out, _ := runCmd(t, "", "bench", "--help"); code != 0 || !strings.Contains(out, "Usage: eventengine bench") {
		t.Error("--help")
	}
}

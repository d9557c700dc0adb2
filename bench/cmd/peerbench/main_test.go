package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventengine/eventengine/bench"
	"github.com/eventengine/eventengine/internal/leakcheck"
)

// TestMain fails the package if a test leaves a goroutine running.
func TestMain(m *testing.M) { leakcheck.Main(m) }

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--messages", "-1"}, {"--budget", "-1s"}, {"--repeats", "-2"}, {"--paced", "-1ms"}, {"--nope"}, {"extra"},
		{"--messages", "0"}, {"--budget", "0s"}, {"--repeats", "0"}, {"--paced", "0s"}, // regression: 0 ran the default
		{"--systems", "no-such-system"}, {"--render", filepath.Join(t.TempDir(), "missing.json")},
	} {
		var errOut bytes.Buffer
		if code := run(args, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message", args, code, errOut.String())
		}
	}
	var errOut bytes.Buffer
	if code := run([]string{"--help"}, &errOut); code != 0 || !strings.Contains(errOut.String(), "Usage: go run ./bench/cmd/peerbench") {
		t.Errorf("--help: exit %d, %q", code, errOut.String())
	}
}

// TestOutDir: --out creates its directory, and a directory that cannot
// be made is refused before anything runs (regression: peerbench ran every
// benchmark and then failed to write the results).
func TestOutDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	if code := run([]string{"--out", filepath.Join(file, "sub"), "--systems", "channel"}, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), "cannot create the directory") || strings.Contains(errOut.String(), "mode") {
		t.Errorf("--out under a file: exit %d, %q", code, errOut.String())
	}
	dir := filepath.Join(t.TempDir(), "new", "results")
	errOut.Reset()
	code := run([]string{"--quick", "--fixed", "--messages", "200", "--paced", "10ms", "--systems", "channel", "--out", dir}, &errOut)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "results.json")); err != nil {
		t.Error(err)
	}
}

// TestRunAndRender runs two systems on every scenario with a few hundred
// messages (no pilot), then renders the views again from the JSON. It
// checks that the files are written and agree, not the numbers.
func TestRunAndRender(t *testing.T) {
	dir := t.TempDir()
	var errOut bytes.Buffer
	code := run([]string{"--quick", "--fixed", "--messages", "500", "--paced", "20ms", "--systems", "channel,eventengine", "--out", dir}, &errOut)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut.String())
	}
	for _, want := range []string{"quick mode", "1 producer → 1 subscriber", "eventengine", "done", "results.svg"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, errOut.String())
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r bench.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Meta.Mode != "quick" || r.Meta.Go == "" || r.Meta.Date == "" || len(r.Results) == 0 {
		t.Errorf("meta %+v, %d results", r.Meta, len(r.Results))
	}
	for _, res := range r.Results {
		if res.Failed() {
			t.Errorf("%s / %s: %s", res.System, res.Scenario, res.Error)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "results.md")); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"--render", filepath.Join(dir, "results.json"), "--out", dir}, &errOut); code != 0 {
		t.Fatalf("--render: exit %d:\n%s", code, errOut.String())
	}
	again, err := os.ReadFile(filepath.Join(dir, "results.md"))
	if err != nil || !bytes.Equal(md, again) {
		t.Errorf("--render wrote a different results.md (%v)", err)
	}
}

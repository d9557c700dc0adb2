package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	code, out, errOut := runCmd(t, "", "version")
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "eventengine ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("version: exit %d, %q, %q", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "", "version", "extra"); code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Errorf("version extra: exit %d, %q", code, errOut)
	}
	if code, out, _ := runCmd(t, "", "version", "--help"); code != 0 || !strings.Contains(out, "Usage: eventengine version") {
		t.Errorf("version --help: exit %d, %q", code, out)
	}
	if _, out, _ := runCmd(t, "", "help"); !strings.Contains(out, "version ") {
		t.Errorf("help does not list version: %q", out)
	}
}

func TestVersionLine(t *testing.T) {
	plat := " (" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	for _, c := range []struct {
		info *debug.BuildInfo
		want string
	}{
		{nil, "eventengine devel"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.3.1"}}, "eventengine v0.3.1"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "eventengine devel"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "4d4b5c4aa8e1f00d9c0ffee1234567890abcdef0"}, {Key: "vcs.modified", Value: "true"},
			{Key: "vcs.time", Value: "2026-12-01T12:00:00Z"}}}, "eventengine devel, commit 4d4b5c4aa8e1 (modified), 2026-12-01T12:00:00Z"},
	} {
		if got := versionLine(c.info); got != c.want+plat {
			t.Errorf("versionLine(%+v) = %q, want %q", c.info, got, c.want+plat)
		}
	}
}

package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

func init() {
	register(command{name: "version", summary: "print the version of this build", run: runVersion})
}

const versionUsage = `Usage: eventengine version

Prints the module version this binary was built from ("devel" for a build
from a clone, with the commit when the build recorded it), the Go version
and the platform.
`

func runVersion(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if code, ok := parseCommandFlags(fs, versionUsage, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "eventengine version: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprintln(stdout, versionLine(info))
	return 0
}

// versionLine describes a build: "eventengine v1.2.0 (go1.26.8 linux/amd64)"
// for a module version, or "eventengine devel, commit 4d4b5c4 (modified),
// 2026-12-01T12:00:00Z (go1.26.8 linux/amd64)" for a build from a clone
// (the commit only when the build recorded it: not with -buildvcs=false,
// nor under go run).
func versionLine(info *debug.BuildInfo) string {
	v := "devel"
	var vcs []string
	if info != nil {
		if m := info.Main.Version; m != "" && m != "(devel)" {
			v = m
		}
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if r := settings["vcs.revision"]; r != "" && v == "devel" {
			c := "commit " + r[:min(len(r), 12)]
			if settings["vcs.modified"] == "true" {
				c += " (modified)"
			}
			vcs = append(vcs, c)
			if t := settings["vcs.time"]; t != "" {
				vcs = append(vcs, t)
			}
		}
	}
	out := "eventengine " + v
	if len(vcs) > 0 {
		out += ", " + strings.Join(vcs, ", ")
	}
	return fmt.Sprintf("%s (%s %s/%s)", out, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

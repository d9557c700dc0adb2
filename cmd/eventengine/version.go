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

Prints the module version this binary was built from (for a build from a
clone Go's pseudo-version of its commit, or "devel" when the build recorded
no version control information), the Go version and the platform.
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
// for a module version, including the pseudo-version (v0.0.0-DATE-COMMIT)
// that Go stamps on a build from a clone; "eventengine devel" when there is
// none, with the commit if the build recorded one without a version.
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

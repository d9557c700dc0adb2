// Command eventengine is the command-line tool of the eventengine library: a
// live demo of the engine, a topic checker and an engine benchmark.
//
// Usage:
//
//	eventengine demo  [flags]           run the live market-data demo
//	eventengine topic parse|match|format [flags] ...
//	eventengine bench [flags]           measure the engine on this machine
//	eventengine version                 print the version of this build
//
// Every subcommand takes --help.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

// command is one subcommand: it gets its arguments (without its own name) and
// the process's standard streams, and returns the exit status.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands lists the subcommands; each file of this package adds its own in init.
var commands []command

func register(c command) { commands = append(commands, c) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches args to a subcommand and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "eventengine: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "eventengine: a fast, topic-driven, in-process event engine")
	fmt.Fprintln(w, "\nUsage: eventengine <command> [flags] [arguments]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'eventengine <command> --help' for the flags of a command.")
}

// parseCommandFlags parses a subcommand's flags. --help prints usage and the flags
// on stdout, once, and returns (0, false); a bad flag gets the flag
// package's message and a pointer to --help on stderr and returns (2,
// false).
func parseCommandFlags(fs *flag.FlagSet, usage string, args []string, stdout, stderr io.Writer) (int, bool) {
	fs.SetOutput(io.Discard) // flagError prints, once
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagError(fs, err, stdout, stderr), false
	}
	return 0, true
}

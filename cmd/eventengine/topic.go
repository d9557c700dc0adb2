package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/eventengine/eventengine/topic"
)

func init() {
	register(command{name: "topic", summary: "parse, match and format topics", run: runTopic})
}

const topicUsage = `Usage:
  eventengine topic parse [--json] TOPIC
  eventengine topic match [--json] A B
  eventengine topic format [--json] [--partial] TEMPLATE name=value...
  eventengine topic --jsonl              JSON Lines requests on stdin, one answer per line

Exit status: 0 on success, 1 on a no-match or an invalid topic, 2 on bad usage.
JSON Lines requests: {"op":"parse","topic":T} {"op":"match","a":A,"b":B}
{"op":"format","topic":T,"values":{"name":"value"}[,"partial":true]}
Every non-blank line gets exactly one answer line, in order; a bad line gets
{"ok":false,"error":"..."} and the next line is read. Blank lines are skipped.
`

// partJSON is one part in JSON output.
type partJSON struct {
	Kind    string   `json:"kind"`
	Text    string   `json:"text,omitempty"`
	Name    string   `json:"name,omitempty"`
	Options []string `json:"options,omitempty"`
	Pattern string   `json:"pattern,omitempty"`
}

// answer is the JSON answer to one request.
type answer struct {
	OK      bool       `json:"ok"`
	Error   string     `json:"error,omitempty"`
	Value   string     `json:"value,omitempty"`
	Exact   *bool      `json:"exact,omitempty"`
	Parts   []partJSON `json:"parts,omitempty"`
	Matched *bool      `json:"matched,omitempty"`
	// Rest is what a > covered (match only; left out when empty).
	Rest string `json:"rest,omitempty"`
	// Values is a map[string]string; as an interface, an empty map is still
	// written ({}), while requests other than match leave it out.
	Values any `json:"values,omitempty"`
}

// request is one JSON Lines request.
type request struct {
	Op     string            `json:"op"`
	Topic  *string           `json:"topic"`
	A      *string           `json:"a"`
	B      *string           `json:"b"`
	Values map[string]string `json:"values"`
	// Partial keeps the wildcards without a value (format only).
	Partial bool `json:"partial"`
}

func fail(err error) answer { return answer{OK: false, Error: err.Error()} }

func parseAnswer(text string) answer {
	t, err := topic.Parse(text)
	if err != nil {
		return fail(err)
	}
	exact := t.IsExact()
	a := answer{OK: true, Value: t.String(), Exact: &exact, Parts: []partJSON{}}
	for _, p := range t.Parts() {
		switch p.Kind() {
		case topic.KindExact:
			a.Parts = append(a.Parts, partJSON{Kind: "exact", Text: p.Literal()})
		case topic.KindAny:
			a.Parts = append(a.Parts, partJSON{Kind: "any", Name: p.Name()})
		case topic.KindRange:
			a.Parts = append(a.Parts, partJSON{Kind: "range", Options: p.Options()})
		case topic.KindPattern:
			a.Parts = append(a.Parts, partJSON{Kind: "pattern", Pattern: p.Pattern()})
		case topic.KindStar, topic.KindRest:
			a.Parts = append(a.Parts, partJSON{Kind: p.Kind().String(), Text: p.String()})
		}
	}
	return a
}

func matchAnswer(as, bs string) answer {
	a, err := topic.Parse(as)
	if err != nil {
		return fail(err)
	}
	b, err := topic.Parse(bs)
	if err != nil {
		return fail(err)
	}
	r := a.Match(b)
	return answer{OK: true, Matched: &r.Matched, Values: r.Values(), Rest: r.Rest()} // {} when nothing bound
}

func formatAnswer(tmpl string, values map[string]string, partial bool) answer {
	t, err := topic.Parse(tmpl)
	if err != nil {
		return fail(err)
	}
	format := t.Format
	if partial {
		format = t.FormatPartial
	}
	out, err := format(values)
	if err != nil {
		return fail(err)
	}
	return answer{OK: true, Value: out.String()}
}

// answerRequest answers one JSON Lines request.
func answerRequest(line []byte) answer {
	var r request
	if err := json.Unmarshal(line, &r); err != nil {
		return fail(fmt.Errorf("bad JSON: %v", err))
	}
	need := func(name string, v *string) error {
		if v == nil {
			return fmt.Errorf("op %q needs the field %q", r.Op, name)
		}
		return nil
	}
	switch r.Op {
	case "parse":
		if err := need("topic", r.Topic); err != nil {
			return fail(err)
		}
		return parseAnswer(*r.Topic)
	case "match":
		if err := errors.Join(need("a", r.A), need("b", r.B)); err != nil {
			return fail(err)
		}
		return matchAnswer(*r.A, *r.B)
	case "format":
		if err := need("topic", r.Topic); err != nil {
			return fail(err)
		}
		return formatAnswer(*r.Topic, r.Values, r.Partial)
	case "":
		return fail(errors.New(`missing "op" (parse, match or format)`))
	}
	return fail(fmt.Errorf("unknown op %q (want parse, match or format)", r.Op))
}

// parseFlags parses args with fs, allowing flags before and after the
// positional arguments (a "--" ends the flags: what follows is positional,
// for topics that start with '-'). It returns the positional arguments, or
// the exit status when the flags were bad (2) or --help was asked (0).
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) ([]string, int, bool) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, flagError(fs, err, stdout, stderr), false
		}
		left := fs.Args()
		if consumed := len(args) - len(left); consumed > 0 && args[consumed-1] == "--" {
			return append(rest, left...), 0, true
		}
		if len(left) == 0 {
			return rest, 0, true
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

// newFlagSet returns a FlagSet that prints nothing itself (the flag
// package would print a bad flag's error and the usage, and on --help the
// usage on the error output): flagError reports what Parse returned, once.
func newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// flagError reports an error of fs.Parse and returns the exit status: on
// --help the usage and flags go to stdout (status 0); a bad flag gets its
// error and a pointer to --help on stderr (status 2).
func flagError(fs *flag.FlagSet, err error, stdout, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		fs.SetOutput(io.Discard)
		return 0
	}
	fmt.Fprintf(stderr, "eventengine %s: %v\nRun 'eventengine %s --help' for usage.\n", fs.Name(), err, fs.Name())
	return 2
}

func runTopic(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// The command's own flags come before the subcommand word.
	fs := newFlagSet("topic", topicUsage)
	jsonl := fs.Bool("jsonl", false, "answer JSON Lines requests from standard input, one JSON line each")
	topJSON := fs.Bool("json", false, "print one JSON object (also accepted after the subcommand)")
	if err := fs.Parse(args); err != nil {
		return flagError(fs, err, stdout, stderr)
	}
	rest := fs.Args()
	if *jsonl {
		if len(rest) > 0 {
			fmt.Fprintln(stderr, "eventengine topic: --jsonl takes no arguments")
			return 2
		}
		return serveJSONL(stdin, stdout, stderr)
	}
	if len(rest) == 0 {
		fmt.Fprint(stderr, "eventengine topic: missing subcommand\n\n", topicUsage)
		return 2
	}
	op := rest[0]
	var (
		usage string
		want  func(n int) bool
	)
	switch op {
	case "parse":
		usage, want = "Usage: eventengine topic parse [--json] TOPIC\n\nParse TOPIC and describe its parts.\n", func(n int) bool { return n == 1 }
	case "match":
		usage, want = "Usage: eventengine topic match [--json] A B\n\nMatch topic A against topic B and print the bound values.\n", func(n int) bool { return n == 2 }
	case "format":
		usage, want = "Usage: eventengine topic format [--json] [--partial] TEMPLATE name=value...\n\nReplace the named wildcards of TEMPLATE with values; with --partial, keep those\nwithout a value (and ranges, patterns, * and >) instead of failing.\n", func(n int) bool { return n >= 1 }
	default:
		fmt.Fprintf(stderr, "eventengine topic: unknown subcommand %q\n\n%s", op, topicUsage)
		return 2
	}
	sub := newFlagSet("topic "+op, usage)
	asJSON := sub.Bool("json", false, "print one JSON object")
	var partial *bool
	if op == "format" {
		partial = sub.Bool("partial", false, "keep the wildcards without a value")
	}
	params, code, ok := parseFlags(sub, rest[1:], stdout, stderr)
	if !ok {
		return code
	}
	if !want(len(params)) {
		fmt.Fprint(stderr, "eventengine topic ", op, ": wrong number of arguments\n\n", usage)
		return 2
	}
	var a answer
	switch op {
	case "parse":
		a = parseAnswer(params[0])
	case "match":
		a = matchAnswer(params[0], params[1])
	case "format":
		values := map[string]string{}
		for _, kv := range params[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				fmt.Fprintf(stderr, "eventengine topic format: %q is not name=value\n", kv)
				return 2
			}
			values[k] = v
		}
		a = formatAnswer(params[0], values, *partial)
	}
	if *asJSON || *topJSON {
		newEncoder(stdout).Encode(a) // an answer always encodes; a write error has nowhere to go
	} else {
		printAnswer(stdout, stderr, a)
	}
	if !a.OK || a.Matched != nil && !*a.Matched {
		return 1
	}
	return 0
}

func printAnswer(stdout, stderr io.Writer, a answer) {
	switch {
	case !a.OK:
		fmt.Fprintln(stderr, "error:", a.Error)
	case a.Matched != nil:
		if !*a.Matched {
			fmt.Fprintln(stdout, "no match")
			return
		}
		fmt.Fprintln(stdout, "match")
		values := a.Values.(map[string]string)
		for _, k := range slices.Sorted(maps.Keys(values)) {
			fmt.Fprintf(stdout, "  %s = %s\n", k, values[k])
		}
		if a.Rest != "" {
			fmt.Fprintf(stdout, "  > = %s\n", a.Rest)
		}
	case a.Parts != nil:
		kind := "generic"
		if *a.Exact {
			kind = "exact"
		}
		fmt.Fprintf(stdout, "%s (%s, %d parts)\n", a.Value, kind, len(a.Parts))
		for i, p := range a.Parts {
			var desc string
			switch p.Kind {
			case "exact", "star", "rest":
				desc = p.Text
			case "any":
				desc = "{" + p.Name + "}"
			case "range":
				desc = strings.Join(p.Options, " | ")
			case "pattern":
				desc = "/" + p.Pattern + "/"
			}
			fmt.Fprintf(stdout, "  %d  %-7s %s\n", i, p.Kind, desc)
		}
	default:
		fmt.Fprintln(stdout, a.Value)
	}
}

// newEncoder returns a JSON encoder that writes topics as they are: a > is
// written >, not \u003e (HTML escaping has no purpose on a terminal or in a
// pipe).
func newEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// serveJSONL answers each line of stdin with one line of JSON, in order,
// never stopping on a bad line.
func serveJSONL(stdin io.Reader, stdout, stderr io.Writer) int {
	r := bufio.NewReaderSize(stdin, 64<<10)
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	enc := newEncoder(w)
	for {
		line, err := r.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			a := answerRequest(line)
			if err := enc.Encode(a); err != nil {
				fmt.Fprintln(stderr, "eventengine topic:", err)
				return 1
			}
		}
		if err == io.EOF {
			return 0
		}
		if err != nil {
			fmt.Fprintln(stderr, "eventengine topic: reading standard input:", err)
			return 1
		}
	}
}

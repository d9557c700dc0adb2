package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestTopicCommands(t *testing.T) {
	cases := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"topic", "parse", "Market.{kind}.(A|B)"}, 0, "Market.{kind}.(A|B) (generic, 3 parts)"},
		{[]string{"topic", "parse", "A.+x"}, 0, "A.{x} (generic, 2 parts)"},
		{[]string{"topic", "parse", "a..b"}, 1, ""},
		{[]string{"topic", "match", "Market.{kind}.{symbol}", "Market.Data.AAPL"}, 0, "match\n  kind = Data\n  symbol = AAPL\n"},
		{[]string{"topic", "match", "A.{x}", "B.c"}, 1, "no match\n"},
		{[]string{"topic", "format", "Market.{kind}.{symbol}", "kind=Data", "symbol=AAPL"}, 0, "Market.Data.AAPL\n"},
		{[]string{"topic", "format", "Market.{kind}", "other=x"}, 1, ""},
		{[]string{"topic", "--json", "match", "A.{x}", "A.b"}, 0, `{"ok":true,"matched":true,"values":{"x":"b"}}` + "\n"},
		{[]string{"topic", "match", "--json", "A.{x}", "B.b"}, 1, `{"ok":true,"matched":false,"values":{}}` + "\n"},
		{[]string{"topic", "parse", "--json", "A.b"}, 0, `{"ok":true,"value":"A.b","exact":true,"parts":[{"kind":"exact","text":"A"},{"kind":"exact","text":"b"}]}` + "\n"},
		{[]string{"topic", "format", "--json", "A.{x}", "x=a.b"}, 1, `{"ok":false,"error":`},
		{[]string{"topic", "frobnicate"}, 2, ""},
		{[]string{"topic", "parse"}, 2, ""},
		{[]string{"topic", "--nope"}, 2, ""},
		{[]string{"topic", "--help"}, 0, "Usage:"},
		{[]string{"nope"}, 2, ""},
		{[]string{"topic", "parse", "--help"}, 0, "Usage: eventengine topic parse"},
		{[]string{"topic", "match", "-h"}, 0, "Usage: eventengine topic match"},
		{[]string{"topic", "parse", "--bogus", "A"}, 2, ""},
		{[]string{"topic", "parse", "A", "B"}, 2, ""},
		{[]string{"topic", "match", "A"}, 2, ""},
		{[]string{"topic", "format"}, 2, ""},
		{[]string{"topic", "format", "A.{x}", "novalue"}, 2, ""},
		{[]string{"topic", "--jsonl", "parse"}, 2, ""},
		{[]string{"topic"}, 2, ""},
		{[]string{"topic", "parse", "--", "-x.y"}, 0, "-x.y (exact, 2 parts)"},
		{[]string{"topic", "match", "A.{x}", "A.b", "--json"}, 0, `{"ok":true,"matched":true,"values":{"x":"b"}}` + "\n"},
		{[]string{"topic", "match", "--json", "A.B", "A.B"}, 0, `{"ok":true,"matched":true,"values":{}}` + "\n"},
		{[]string{"topic", "match", "--json", "A..B", "A.B"}, 1, `{"ok":false,"error":"topic \"A..B\": empty part at offset 2"}` + "\n"},
		{[]string{"topic", "format", "--json", "A.{x}.+y", "x=1", "y=2"}, 0, `{"ok":true,"value":"A.1.2"}` + "\n"},
		{[]string{"topic", "format", "A.(b|c)"}, 1, ""},
		{[]string{"topic", "parse", `P./^\d+\.\d+$/.Last`}, 0, "1  pattern /^\\d+\\.\\d+$/"},
		{[]string{"--help"}, 0, "Commands:"},
		{[]string{"topic", "parse", "Market.*.>"}, 0, "Market.*.> (generic, 3 parts)\n  0  exact   Market\n  1  star    *\n  2  rest    >\n"},
		{[]string{"topic", "parse", "--json", "A.*.>"}, 0, `{"ok":true,"value":"A.*.>","exact":false,"parts":[{"kind":"exact","text":"A"},{"kind":"star","text":"*"},{"kind":"rest","text":">"}]}` + "\n"},
		{[]string{"topic", "parse", "A.b*c"}, 0, "A.b*c (exact, 2 parts)"},
		{[]string{"topic", "format", "--partial", "realtime.{ticker}.{dtype}", "ticker=600010_SH"}, 0, "realtime.600010_SH.{dtype}\n"},
		{[]string{"topic", "format", "realtime.{ticker}.{dtype}", "ticker=600010_SH"}, 1, ""},
		{[]string{"topic", "format", "--json", "Market.{symbol}", "symbol=A.B"}, 1, `{"ok":false,"error":"topic \"Market.{symbol}\": invalid value ({symbol} = \"A.B\": reserved character \".\" at byte 1 of the value) at offset 7"}`},
		{[]string{"topic", "parse", "--partial", "A"}, 2, ""},
		{[]string{"topic", "parse", "A.>.b"}, 1, ""},
		{[]string{"topic", "match", "Market.>", "Market.Data.AAPL"}, 0, "match\n  > = Data.AAPL\n"},
		{[]string{"topic", "match", "Market.>", "Market"}, 1, "no match\n"},
		{[]string{"topic", "match", "--json", "{k}.*.>", "a.b.c.d"}, 0, `{"ok":true,"matched":true,"rest":"c.d","values":{"k":"a"}}` + "\n"},
		{[]string{"topic", "format", "A.{x}", "x="}, 1, ""}, // an empty value is the topic's to refuse
	}
	for _, c := range cases {
		code, out, errOut := runCmd(t, "", c.args...)
		if code != c.code || !strings.Contains(out, c.out) {
			t.Errorf("%q: exit %d, out %q, err %q; want exit %d and %q", c.args, code, out, errOut, c.code, c.out)
		}
		if code != 0 && c.out == "" && errOut == "" {
			t.Errorf("%q: failed without a message", c.args)
		}
	}
}

func TestTopicJSONL(t *testing.T) {
	in := strings.Join([]string{
		`{"op":"parse","topic":"Market.(Equity|Futures)./^[A-Z]+$/.{s}"}`,
		`{"op":"match","a":"Market.{kind}.{symbol}","b":"Market.Data.AAPL"}`,
		`not json`,
		`{"op":"match","a":"A.{x}","b":"B.c"}`,
		`{"op":"format","topic":"A.{x}","values":{"x":"b"}}`,
		`{"op":"nope"}`,
		`{"op":"parse","topic":"a..b"}`,
		``,
		`{"op":"match","a":"A"}`,
		`{"op":"format","topic":"A.{x}","values":{}}`,
		`{"op":"parse","topic":"` + strings.Repeat("a", 1<<20) + `"}`,
		`  {"op":"match","a":"A.B","b":"A.B"}  `,
		`{"op":"parse"}`,
		`{"topic":"A"}`,
		`{"op":"format","topic":"A.{x}","values":{"x":"b|c"}}`,
		`[1,2]`,
		`{"op":"parse","topic":"Market.*.>"}`,
		`{"op":"format","topic":"realtime.{ticker}.{dtype}","values":{"ticker":"600010_SH"},"partial":true}`,
		`{"op":"match","a":"Market.>","b":"Market.Data.AAPL"}`,
		`{"op":"parse","topic":"last.line.without.newline"}`,
	}, "\n")
	code, out, _ := runCmd(t, in, "topic", "--jsonl")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		`{"ok":true,"value":"Market.(Equity|Futures)./^[A-Z]+$/.{s}","exact":false,"parts":[{"kind":"exact","text":"Market"},{"kind":"range","options":["Equity","Futures"]},{"kind":"pattern","pattern":"^[A-Z]+$"},{"kind":"any","name":"s"}]}`,
		`{"ok":true,"matched":true,"values":{"kind":"Data","symbol":"AAPL"}}`,
		`{"ok":false,"error":"line 3: not valid JSON (at byte 2: invalid character 'o' in literal null (expecting 'u'))"}`,
		`{"ok":true,"matched":false,"values":{}}`,
		`{"ok":true,"value":"A.b"}`,
		`{"ok":false,"error":"line 6: unknown op \"nope\"`,
		`{"ok":false,"error":"topic \"a..b\": empty part at offset 2"}`,
		`{"ok":false,"error":"line 9: op \"match\" needs the field \"b\""}`,
		`{"ok":false,"error":"topic \"A.{x}\": no value for wildcard`,
		`{"ok":false,"error":"topic \"aaaa`,
		`{"ok":true,"matched":true,"values":{}}`,
		`{"ok":false,"error":"line 13: op \"parse\" needs the field \"topic\""}`,
		`{"ok":false,"error":"line 14: missing \"op\"`,
		`{"ok":false,"error":"topic \"A.{x}\": invalid value ({x} = \"b|c\": reserved character \"|\" at byte 1 of the value) at offset 2"}`,
		`{"ok":false,"error":"line 16: a request is a JSON object such as {\"op\":\"parse\",\"topic\":\"Market.Data.AAPL\"}, not an array"}`,
		`{"ok":true,"value":"Market.*.>","exact":false,"parts":[{"kind":"exact","text":"Market"},{"kind":"star","text":"*"},{"kind":"rest","text":">"}]}`,
		`{"ok":true,"value":"realtime.600010_SH.{dtype}"}`,
		`{"ok":true,"matched":true,"rest":"Data.AAPL","values":{}}`,
		`{"ok":true,"value":"last.line.without.newline","exact":true`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d answers for %d requests:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("answer %d = %s\nwant prefix %s", i, lines[i], w)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &v); err != nil {
			t.Errorf("answer %d is not JSON: %v", i, err)
		}
	}
}

// TestTopicJSONLLineEndings: CRLF line endings and blank or whitespace-only
// lines (skipped) do not disturb the one-answer-per-request order.
func TestTopicJSONLLineEndings(t *testing.T) {
	in := "{\"op\":\"parse\",\"topic\":\"A.b\"}\r\n\r\n   \n\t\n{\"op\":\"match\",\"a\":\"A.{x}\",\"b\":\"A.b\"}\r\n{\"op\":\"parse\",\"topic\":\"A.\"}\r\n"
	code, out, _ := runCmd(t, in, "topic", "--jsonl")
	want := `{"ok":true,"value":"A.b","exact":true,"parts":[{"kind":"exact","text":"A"},{"kind":"exact","text":"b"}]}` + "\n" +
		`{"ok":true,"matched":true,"values":{"x":"b"}}` + "\n" +
		`{"ok":false,"error":"topic \"A.\": empty part at offset 2"}` + "\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d, out:\n%s\nwant:\n%s", code, out, want)
	}
}

// TestTopicUsageErrors: every flag and argument of topic that is wrong gets
// exit status 2 and a message that says which and why. Regression: --json
// with --jsonl, a value without a name and a name given twice were accepted
// silently (the last value won).
func TestTopicUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"--jsonl", "--json"}, "eventengine topic: --json and --jsonl together: --jsonl answers in JSON already; give one of them\n"},
		{[]string{"--jsonl", "parse"}, "eventengine topic: --jsonl takes no arguments, got \"parse\"\n"},
		{[]string{"--jsonl=maybe"}, "eventengine topic: invalid boolean value \"maybe\" for -jsonl: parse error\nRun 'eventengine topic --help' for usage.\n"},
		{[]string{"--partial", "format", "A.{x}"}, "eventengine topic: flag provided but not defined: -partial\nRun 'eventengine topic --help' for usage.\n"},
		{[]string{"format", "A.{x}", "=1"}, "eventengine topic format: \"=1\" has no name before the '='\n"},
		{[]string{"format", "A.{x}", "x=1", "x=2"}, "eventengine topic format: x is given twice (\"x=1\" and \"x=2\")\n"},
		{[]string{"format", "A.{x}", "x"}, "eventengine topic format: \"x\" is not name=value\n"},
		{[]string{"format", "--partial=2", "A.{x}"}, "eventengine topic format: invalid boolean value \"2\" for -partial: parse error\nRun 'eventengine topic format --help' for usage.\n"},
		{[]string{"match", "--partial", "A", "A"}, "eventengine topic match: flag provided but not defined: -partial\nRun 'eventengine topic match --help' for usage.\n"},
	} {
		code, out, errOut := runCmd(t, "", append([]string{"topic"}, c.args...)...)
		if code != 2 || out != "" || errOut != c.err {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, errOut, c.err)
		}
	}
}

// TestTopicJSONLRequestErrors: a request of the wrong shape gets an error in
// the terms of the request, with its line and field. Regression: a JSON
// array got "json: cannot unmarshal array into Go value of type
// main.request", a number for "op" "... Go struct field request.op of type
// string", and a misspelt field was silently ignored.
func TestTopicJSONLRequestErrors(t *testing.T) {
	cases := []struct{ in, err string }{
		{`[1,2]`, `a request is a JSON object such as {"op":"parse","topic":"Market.Data.AAPL"}, not an array`},
		{`"parse"`, `a request is a JSON object such as {"op":"parse","topic":"Market.Data.AAPL"}, not a string`},
		{`42`, `a request is a JSON object such as {"op":"parse","topic":"Market.Data.AAPL"}, not a number`},
		{`null`, `a request is a JSON object such as {"op":"parse","topic":"Market.Data.AAPL"}, not null`},
		{`{"op":1,"topic":"A"}`, `field "op": must be a string, not a number`},
		{`{"op":"parse","topic":["A"]}`, `field "topic": must be a string, not an array`},
		{`{"op":"match","a":"A","b":{}}`, `field "b": must be a string, not an object`},
		{`{"op":"match","a":true,"b":"A"}`, `field "a": must be a string, not true`},
		{`{"op":"format","topic":"A.{x}","values":["x"]}`, `field "values": must be an object of names and strings such as {"symbol":"AAPL"}, not an array`},
		{`{"op":"format","topic":"A.{x}","values":{"x":1}}`, `field "values": the value of "x" must be a string, not a number`},
		{`{"op":"format","topic":"A.{x}","values":{"x":"1"},"partial":"yes"}`, `field "partial": must be true or false, not a string`},
		{`{"op":"format","topic":"A.{x}","values":{"x":"1"},"partal":true}`, `field "partal": unknown field (a request has op, topic, a, b, values and partial)`},
		{`{"op":"parse","Topic":"A"}`, `field "Topic": unknown field (a request has op, topic, a, b, values and partial)`},
		{`{"op":"parse","topic":"A"} {"op":"parse"}`, `not valid JSON (at byte 28: invalid character '{' after top-level value)`},
		{`{"op":"parse","topic":`, `not valid JSON (the line ends before the JSON value does)`},
		{`nul`, `not valid JSON (the line ends before the JSON value does)`},
		{`{"op":"parse",}`, `not valid JSON (at byte 15: invalid character '}' looking for beginning of object key string)`},
		{`{"op":null,"topic":"A"}`, `missing "op" (parse, match or format)`},
		{`{"op":"parse","topic":null}`, `op "parse" needs the field "topic"`},
		{`{"op":"match"}`, `op "match" needs the fields "a" and "b"`},
		{`{"op":"match","b":"A"}`, `op "match" needs the field "a"`},
	}
	var in strings.Builder
	for _, c := range cases {
		in.WriteString(c.in + "\n\n") // blank lines count in the line numbers
	}
	// A null field, or value, is an absent one.
	in.WriteString(`{"op":"format","topic":"A.{x}","a":null,"values":{"x":"1","y":null},"partial":null}` + "\n")
	code, out, errOut := runCmd(t, in.String(), "topic", "--jsonl")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(cases)+1 {
		t.Fatalf("%d answers for %d requests:\n%s", len(lines), len(cases)+1, out)
	}
	for i, c := range cases {
		var a struct {
			OK    bool
			Error string
		}
		if err := json.Unmarshal([]byte(lines[i]), &a); err != nil {
			t.Fatalf("answer %d is not JSON: %v", i, err)
		}
		want := fmt.Sprintf("line %d: %s", 2*i+1, c.err)
		if a.OK || a.Error != want {
			t.Errorf("%s\n got %s\nwant error %q", c.in, lines[i], want)
		}
		for _, goTerm := range []string{"main.", "Go ", "json:", "unmarshal", "map[", "*string"} {
			if strings.Contains(a.Error, goTerm) {
				t.Errorf("%s: error in Go's terms (%q): %s", c.in, goTerm, a.Error)
			}
		}
	}
	if last := lines[len(cases)]; last != `{"ok":true,"value":"A.1"}` {
		t.Errorf("null fields and values are absent ones: %s", last)
	}
}

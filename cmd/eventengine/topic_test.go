package main

import (
	"bytes"
	"encoding/json"
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
		`{"ok":false,"error":"bad JSON`,
		`{"ok":true,"matched":false,"values":{}}`,
		`{"ok":true,"value":"A.b"}`,
		`{"ok":false,"error":"unknown op \"nope\"`,
		`{"ok":false,"error":"topic \"a..b\": empty part at offset 2"}`,
		`{"ok":false,"error":"op \"match\" needs the field \"b\""}`,
		`{"ok":false,"error":"topic \"A.{x}\": no value for wildcard`,
		`{"ok":false,"error":"topic \"aaaa`,
		`{"ok":true,"matched":true,"values":{}}`,
		`{"ok":false,"error":"op \"parse\" needs the field \"topic\""}`,
		`{"ok":false,"error":"missing \"op\"`,
		`{"ok":false,"error":"topic \"A.{x}\": invalid value ({x} = \"b|c\": reserved character \"|\" at byte 1 of the value) at offset 2"}`,
		`{"ok":false,"error":"bad JSON`,
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

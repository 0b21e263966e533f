package host

import (
	"errors"
	"strings"
	"testing"
)

func TestApplyThenRemoveRestoresBytes(t *testing.T) {
	testBlock := hostsBlock()
	originals := map[string]string{
		"empty":            "",
		"plain":            "127.0.0.1 localhost\n::1 localhost\n",
		"no final newline": "127.0.0.1 localhost\n# comment",
		"crlf":             "127.0.0.1 localhost\r\n# comment\r\n",
		"crlf no final":    "127.0.0.1 localhost\r\nx",
		"blank lines":      "\n\n# x\n\n",
	}
	for name, orig := range originals {
		t.Run(name, func(t *testing.T) {
			with, err := testBlock.Apply("hosts", []byte(orig), []string{"1.2.3.4 a", "1.2.3.4 b"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(with), orig) && !strings.HasPrefix(string(with), orig+"\n") && !strings.HasPrefix(string(with), orig+"\r\n") {
				t.Fatalf("operator content not kept: %q", with)
			}
			again, err := testBlock.Apply("hosts", with, []string{"1.2.3.4 a", "1.2.3.4 b"})
			if err != nil || string(again) != string(with) {
				t.Fatalf("second apply changed the file:\n%q\n%q", with, again)
			}
			back, err := testBlock.Remove("hosts", with)
			if err != nil {
				t.Fatal(err)
			}
			if string(back) != orig {
				t.Fatalf("remove did not restore:\nwant %q\ngot  %q", orig, back)
			}
		})
	}
}

func TestApplyReplacesInPlace(t *testing.T) {
	testBlock := hostsBlock()
	in := "a\n# BEGIN hotstack-os managed entries\nold\n# END hotstack-os managed entries\nz\n"
	out, err := testBlock.Apply("hosts", []byte(in), []string{"new"})
	if err != nil {
		t.Fatal(err)
	}
	want := "a\n# BEGIN hotstack-os managed entries\nnew\n# END hotstack-os managed entries\nz\n"
	if string(out) != want {
		t.Fatalf("got %q", out)
	}
}

func TestMarkerFaults(t *testing.T) {
	testBlock := hostsBlock()
	B, E := testBlock.Begin, testBlock.End
	cases := map[string]struct {
		in   string
		want string
	}{
		"begin without end": {"a\n" + B + "\nx\n", "hosts: BEGIN marker without END marker (line 2)"},
		"end without begin": {"a\n" + E + "\n", "hosts: END marker without BEGIN marker (line 2)"},
		"two begins":        {B + "\n" + B + "\n" + E + "\n", "hosts: BEGIN marker appears more than once (line 1, 2)"},
		"end before begin":  {E + "\nx\n" + B + "\n", "hosts: END marker comes before BEGIN marker (line 1, 3)"},
		"two ends":          {B + "\n" + E + "\n" + E + "\n", "END marker appears more than once (line 2, 3)"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, op := range []func() error{
				func() error { _, err := testBlock.Apply("hosts", []byte(tc.in), []string{"x"}); return err },
				func() error { _, err := testBlock.Remove("hosts", []byte(tc.in)); return err },
			} {
				err := op()
				var me *MarkerError
				if !errors.As(err, &me) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want %q", err, tc.want)
				}
			}
		})
	}
}

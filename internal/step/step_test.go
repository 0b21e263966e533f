package step

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// counter is a step over an int that Check compares with want.
func counter(name string, cur *int, want int, applied *[]string) Step {
	return Step{
		Name: name,
		Check: func(context.Context) (*Change, error) {
			if *cur == want {
				return nil, nil
			}
			return &Change{Section: Host, Action: "update", Target: name}, nil
		},
		Apply: func(context.Context) error {
			*applied = append(*applied, name)
			*cur = want
			return nil
		},
	}
}

func TestRunAppliesOnlyWhatChecksReport(t *testing.T) {
	a, b := 1, 5
	var applied, reported []string
	steps := []Step{counter("a", &a, 1, &applied), counter("b", &b, 6, &applied)}

	changes, err := Changes(context.Background(), steps)
	if err != nil || len(changes) != 1 || changes[0].Target != "b" || len(applied) != 0 {
		t.Fatalf("changes %+v err %v applied %v", changes, err, applied)
	}
	sum, err := Run(context.Background(), steps, func(s Step, c *Change) {
		reported = append(reported, s.Name+":"+map[bool]string{true: "changed", false: "unchanged"}[c != nil])
	})
	if err != nil || !slices.Equal(applied, []string{"b"}) || !slices.Equal(sum.Changed, []string{"b"}) || !slices.Equal(sum.Unchanged, []string{"a"}) {
		t.Fatalf("sum %+v err %v applied %v", sum, err, applied)
	}
	if !slices.Equal(reported, []string{"a:unchanged", "b:changed"}) {
		t.Fatalf("reported %v", reported)
	}
	// Applied: the plan is now empty, and a second run changes nothing.
	if changes, err := Changes(context.Background(), steps); err != nil || len(changes) != 0 {
		t.Fatalf("after run: %+v %v", changes, err)
	}
	if sum, err := Run(context.Background(), steps, nil); err != nil || len(sum.Changed) != 0 {
		t.Fatalf("second run changed %v (%v)", sum.Changed, err)
	}
}

func TestRunStopsAtTheFirstErrorNamingTheStep(t *testing.T) {
	var applied []string
	x := 0
	steps := []Step{
		{Name: "broken", Check: func(context.Context) (*Change, error) { return nil, errors.New("boom") }},
		counter("later", &x, 1, &applied),
	}
	_, err := Run(context.Background(), steps, nil)
	if err == nil || err.Error() != "broken: boom" || len(applied) != 0 {
		t.Fatalf("err %v applied %v", err, applied)
	}
	if _, err := Changes(context.Background(), steps); err == nil || !strings.HasPrefix(err.Error(), "broken: ") {
		t.Fatalf("changes: %v", err)
	}
}

func TestPlanMasksSecretsAndPrintsBySection(t *testing.T) {
	p := &Plan{Secrets: []string{"s3cret", "s3cret-longer"}}
	p.Add(Change{Section: Units, Action: "start", Target: "layer 2: db"},
		Change{Section: Files, Action: "update", Target: "/etc/app.conf", Detail: "-pw=s3cret\n+pw=s3cret-longer\n"})
	var out strings.Builder
	p.Print(&out)
	want := "Files (install, config):\n  ~ update /etc/app.conf\n      -pw=********\n      +pw=********\n" +
		"Units (up): restarts, then starts by layer:\n  ▶ start layer 2: db\nplan: 2 change(s) pending\n"
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	(&Plan{}).Print(&out)
	if !strings.Contains(out.String(), "plan: no changes") {
		t.Fatalf("empty plan: %s", out.String())
	}
}

func TestMaskEnvFile(t *testing.T) {
	got := string(MaskEnvFile([]byte("# c\nA=\"new\"\nB=\"same\"\nC=x\n"), []byte("A=\"old\"\nB=\"same\"\n")))
	want := "# c\nA=******** (value changed)\nB=********\nC=********\n"
	if got != want {
		t.Fatalf("got %q", got)
	}
}

func TestDiffOfBinary(t *testing.T) {
	if d := Diff("/x", []byte{0, 1}, []byte{2}); d != "binary content differs (2 -> 1 bytes)" {
		t.Fatalf("got %q", d)
	}
	if d := Diff("/x", []byte("a\n"), []byte("b\n")); !strings.Contains(d, "-a") || !strings.Contains(d, "+b") || !strings.Contains(d, "a/x") {
		t.Fatalf("got %q", d)
	}
}

func TestLogged(t *testing.T) {
	var out strings.Builder
	report := Logged(zerolog.New(&out))
	report(Step{Name: "bridge x"}, &Change{})
	report(Step{Name: "bridge y"}, nil)
	want := `{"level":"info","step":"bridge x","message":"changed"}` + "\n" + `{"level":"info","step":"bridge y","message":"unchanged"}` + "\n"
	if out.String() != want {
		t.Fatalf("got %s", out.String())
	}
}

// TestMaskReplacesWholeValuesOnly: a short secret is never substituted
// (DB_PASSWORD=1 must not garble 172.31.0.0/25 and show where the 1s are),
// and a longer one only where it stands as a whole value.
func TestMaskReplacesWholeValuesOnly(t *testing.T) {
	text := "CONTAINER_NETWORK='172.31.0.0/25'\nurl=mysql://nova:s3cret@db/nova\npw=s3cret\nuser=s3cretary\n"
	got := Mask(text, []string{"1", "s3cret"})
	want := "CONTAINER_NETWORK='172.31.0.0/25'\nurl=mysql://nova:********@db/nova\npw=********\nuser=s3cretary\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestPlanShowsAShortSecretAsChanged: a secret too short to mask safely is
// never printed; its change shows as a change.
func TestPlanShowsAShortSecretAsChanged(t *testing.T) {
	p := &Plan{Secrets: []string{"1"}}
	p.Add(Change{Section: Files, Action: "update", Target: "/etc/hotstack-os/hotstack-os.env",
		Detail: "-CONTAINER_NETWORK='172.31.0.0/25'\n+CONTAINER_NETWORK='172.31.0.0/24'\n"},
		Change{Section: Files, Action: "update", Target: "/etc/hotstack-os/secrets.env",
			Detail: string(MaskEnvFile([]byte("DB_PASSWORD=\"1\"\n"), []byte("DB_PASSWORD=\"2\"\n")))})
	var out strings.Builder
	p.Print(&out)
	if !strings.Contains(out.String(), "172.31.0.0/25") || !strings.Contains(out.String(), "DB_PASSWORD=******** (value changed)") || strings.Contains(out.String(), "\"1\"") {
		t.Fatalf("plan:\n%s", out.String())
	}
}

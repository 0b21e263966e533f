package openstack

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

func TestCheckString(t *testing.T) {
	for _, tc := range []struct {
		c    Check
		want string
	}{
		{Check{Pass, "token issued", 210 * time.Millisecond, "project admin"},
			"PASS  token issued                         0.21s  project admin"},
		{Check{Fail, "volume reaches available", 120 * time.Second, "status error: no backend"},
			"FAIL  volume reaches available            120.0s  status error: no backend"},
		{Check{Skip, "hypervisor listed", 0, ""},
			"SKIP  hypervisor listed                    0.00s"},
	} {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

func TestReportErr(t *testing.T) {
	r := &SmokeReport{Checks: []Check{
		{Status: Pass, Name: "a"}, {Status: Fail, Name: "b"}, {Status: Skip, Name: "c"}, {Status: Fail, Name: "d"},
	}}
	if err := r.Err(); err == nil || err.Error() != "smoke: 2 of 4 checks failed: b; d" {
		t.Errorf("Err() = %v", err)
	}
	if got := len(strings.Split(strings.TrimSpace(r.String()), "\n")); got != 4 {
		t.Errorf("String() has %d lines, want 4", got)
	}
	ok := &SmokeReport{Checks: []Check{{Status: Pass, Name: "a"}, {Status: Skip, Name: "b"}}}
	if err := ok.Err(); err != nil {
		t.Errorf("a report with no failure: Err() = %v", err)
	}
}

func TestBrief(t *testing.T) {
	apiErr := func(body string) error {
		return fmt.Errorf("create server x: %w", gophercloud.ErrUnexpectedResponseCode{
			URL: "http://10.99.0.1:8774/v2.1/servers?x=1", Method: "POST", Expected: []int{202}, Actual: 400, Body: []byte(body),
		})
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nova", apiErr(`{"badRequest": {"code": 400, "message": "Flavor's disk is too small"}}`),
			"create server x: HTTP 400 on POST /v2.1/servers: Flavor's disk is too small"},
		{"neutron", apiErr(`{"NeutronError": {"type": "X", "message": "Invalid input", "detail": ""}}`),
			"create server x: HTTP 400 on POST /v2.1/servers: Invalid input"},
		{"heat", apiErr(`{"explanation": "The server could not comply", "code": 400, "error": {"message": "Invalid template", "type": "X"}, "title": "Bad Request"}`),
			"create server x: HTTP 400 on POST /v2.1/servers: Invalid template"},
		{"glance text", apiErr("400 Bad Request\n\nImage too large\n\n   "),
			"create server x: HTTP 400 on POST /v2.1/servers: 400 Bad Request; Image too large"},
		{"joined", errors.Join(errors.New("list servers: refused"), fmt.Errorf("list stacks: %w", &url.Error{Op: "Get", URL: "http://x", Err: errors.New("refused")})),
			"list servers: refused; list stacks: refused"},
		{"plain", errors.New("status error"), "status error"},
	} {
		if got := brief(tc.err); got != tc.want {
			t.Errorf("%s:\ngot  %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	if got := oneLine("a\n  b\tc \r\n\n d"); got != "a; b c; d" {
		t.Errorf("oneLine = %q", got)
	}
	long := oneLine(strings.Repeat("x", 1000))
	if n := len([]rune(long)); n != maxDetail || !strings.HasSuffix(long, "…") {
		t.Errorf("a long detail keeps %d runes, want %d ending in …", n, maxDetail)
	}
	if n := len([]rune(oneLineMax(strings.Repeat("x", 5000), maxFailDetail))); n != maxFailDetail {
		t.Errorf("a long failure keeps %d runes, want %d", n, maxFailDetail)
	}
}

func TestRedact(t *testing.T) {
	if got := redact("token gAAAAA and s3cret!", "s3cret!", "gAAAAA", ""); got != "token *** and ***" {
		t.Errorf("redact = %q", got)
	}
}

func TestSecretsSpareNamesThePasswordEquals(t *testing.T) {
	s := &smoke{o: SmokeOptions{Credentials: Credentials{Username: "admin", Project: "admin", Domain: "Default", Password: "admin"}}}
	if got := s.secrets(); len(got) != 0 {
		t.Errorf("password equal to the user name is blanked: %q", got)
	}
	s.o.Password = "0p3nst4ck"
	if got := s.secrets(); len(got) != 1 || got[0] != "0p3nst4ck" {
		t.Errorf("secrets = %q, want the password", got)
	}
}

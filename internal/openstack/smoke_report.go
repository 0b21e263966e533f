package openstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

// Status is the outcome of one smoke check.
type Status string

// The outcomes. SKIP means the check did not run: this host cannot run it,
// or a check it needs did not pass; it never counts as a pass.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// Check is one line of the smoke report.
type Check struct {
	Status   Status
	Name     string
	Duration time.Duration
	Detail   string
}

// String formats c as its report line: status, name, duration, detail,
// in columns so a run reads as a table.
func (c Check) String() string {
	line := fmt.Sprintf("%-4s  %-34s %7s  %s", c.Status, c.Name, formatDuration(c.Duration), c.Detail)
	return strings.TrimRight(line, " ")
}

// formatDuration keeps three significant digits for the durations a smoke
// check takes (0.21s, 12.3s, 120.0s).
func formatDuration(d time.Duration) string {
	s := d.Seconds()
	if s < 10 {
		return fmt.Sprintf("%.2fs", s)
	}
	return fmt.Sprintf("%.1fs", s)
}

// SmokeReport is every check of one smoke run, in the order they ran.
type SmokeReport struct {
	Checks []Check
}

// Failed returns the checks that failed.
func (r *SmokeReport) Failed() []Check {
	var failed []Check
	for _, c := range r.Checks {
		if c.Status == Fail {
			failed = append(failed, c)
		}
	}
	return failed
}

// Err names the failed checks; nil when none failed.
func (r *SmokeReport) Err() error {
	failed := r.Failed()
	if len(failed) == 0 {
		return nil
	}
	names := make([]string, len(failed))
	for i, c := range failed {
		names[i] = c.Name
	}
	return fmt.Errorf("smoke: %d of %d checks failed: %s", len(failed), len(r.Checks), strings.Join(names, "; "))
}

// String is the report as the lines Smoke printed.
func (r *SmokeReport) String() string {
	var b strings.Builder
	for _, c := range r.Checks {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// maxDetail keeps a report line readable; a detail is a hint where to
// look, the service logs hold the rest. A failure's detail may run
// longer: it says where the path stopped, and the user has nothing else.
const (
	maxDetail     = 240
	maxFailDetail = 1200
)

// oneLine makes s one line (API error bodies, console logs and joined
// errors carry newlines): its lines joined by "; ", runs of blanks made
// one space, truncated to maxDetail.
func oneLine(s string) string { return oneLineMax(s, maxDetail) }

// oneLineMax is oneLine truncated to limit runes.
func oneLineMax(s string, limit int) string {
	var lines []string
	for line := range strings.Lines(s) {
		if line = strings.Join(strings.Fields(line), " "); line != "" {
			lines = append(lines, line)
		}
	}
	s = strings.Join(lines, "; ")
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit-1]) + "…"
	}
	return s
}

// redact replaces every secret in s. An empty secret is ignored.
func redact(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
}

// brief is err's message with any OpenStack API error shortened to
// "HTTP 409 on POST /v2.0/routers: <the API's message>": gophercloud's
// own message holds the full URL and the raw body, too long for a line.
func brief(err error) string {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var parts []string
		for _, e := range joined.Unwrap() {
			parts = append(parts, brief(e))
		}
		return strings.Join(parts, "; ")
	}
	msg := err.Error()
	var api gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &api) {
		msg = strings.Replace(msg, api.Error(), briefAPIError(api), 1)
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		// "Get \"http://...\": dial tcp ...: connection refused" names
		// the URL twice once wrapped; the cause is what matters.
		msg = strings.Replace(msg, urlErr.Error(), urlErr.Err.Error(), 1)
	}
	return msg
}

func briefAPIError(e gophercloud.ErrUnexpectedResponseCode) string {
	path := e.URL
	if u, err := url.Parse(e.URL); err == nil {
		path = u.Path
	}
	return fmt.Sprintf("HTTP %d on %s %s: %s", e.Actual, e.Method, path, apiMessage(e.Body))
}

// apiMessage finds the human message in an OpenStack error body. Each
// service wraps it differently ({"badRequest": {"message": ...}},
// {"NeutronError": {"message": ...}}, {"error": {"message": ...}}, Glance's
// plain text), so look for the first "message" at any depth and fall back
// to the body itself.
func apiMessage(body []byte) string {
	var doc any
	if json.Unmarshal(body, &doc) == nil {
		if m := findMessage(doc); m != "" {
			return m
		}
	}
	return oneLine(string(body))
}

func findMessage(v any) string {
	obj, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if m, ok := obj["message"].(string); ok && m != "" {
		return m
	}
	for _, child := range obj {
		if m := findMessage(child); m != "" {
			return m
		}
	}
	return ""
}

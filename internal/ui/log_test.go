package ui

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestTimestampsHaveMillisecondsWithoutGlobalState(t *testing.T) {
	if zerolog.TimeFieldFormat != time.RFC3339 {
		t.Fatalf("zerolog.TimeFieldFormat changed to %q", zerolog.TimeFieldFormat)
	}
	var out bytes.Buffer
	log := NewLogger(&out, JSON)
	log.Info().Str("service", "db").Msg("db healthy")
	var ev struct{ Time, Service, Message string }
	if err := json.Unmarshal(out.Bytes(), &ev); err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse(TimeFormat, ev.Time); err != nil || ev.Service != "db" || ev.Message != "db healthy" {
		t.Fatalf("line %s: %v", out.String(), err)
	}
	out.Reset()
	log = NewLogger(&out, Console)
	log.Info().Msg("hello")
	if !regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d\d\d INF hello\n$`).MatchString(out.String()) {
		t.Fatalf("console line %q", out.String())
	}
}

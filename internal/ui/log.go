// Package ui is how hotstack-os talks to its operator: a zerolog logger
// whose shape follows where the output goes (terminal, pipe/CI, JSON, the
// journal), the live progress view of `mage up`, and errors as the JSON
// modes print them.
package ui

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"github.com/rs/zerolog"
	"github.com/rs/zerolog/journald"
	"golang.org/x/term"
)

// TimeFormat is the timestamp of JSON lines: milliseconds, since bring-up
// events are sub-second apart. Loggers stamp it themselves (see stamp), so
// no process-wide zerolog setting is changed.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// stamp adds the time to every event, as zerolog's Timestamp does but in
// TimeFormat.
type stamp struct{}

func (stamp) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	e.Str(zerolog.TimestampFieldName, time.Now().Format(TimeFormat))
}

// Format is the chosen output shape.
type Format int

const (
	Console Format = iota // human lines
	JSON                  // HOTSTACK_LOG_FORMAT=json: zerolog JSON lines
	Journal               // under systemd: native journal entries with priorities
)

// DetectFormat picks the format: JSON when asked for
// (HOTSTACK_LOG_FORMAT=json); under systemd (INVOCATION_ID set) with a
// journal, the journal; else console.
func DetectFormat(jsonLogs bool) Format {
	if jsonLogs {
		return JSON
	}
	if os.Getenv("INVOCATION_ID") != "" && journal.Enabled() {
		return Journal
	}
	return Console
}

// IsTerminal reports whether w is an interactive terminal (and not CI).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("CI") == "" && os.Getenv("TERM") != "dumb"
}

// NewLogger returns the logger for format, writing to w (the journal
// writes to the journal instead).
func NewLogger(w io.Writer, format Format) zerolog.Logger {
	sw := &lineWriter{w: w}
	switch format {
	case JSON:
		return zerolog.New(sw).Hook(stamp{})
	case Journal:
		return zerolog.New(journald.NewJournalDWriter())
	default:
		return zerolog.New(zerolog.ConsoleWriter{Out: sw, NoColor: !IsTerminal(w), TimeFormat: "15:04:05.000"}).Hook(stamp{})
	}
}

// lineWriter serializes writes so lines from parallel goroutines never
// interleave mid-line (zerolog emits one Write per event).
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

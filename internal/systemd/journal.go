package systemd

// The stack's logs from the systemd journal (journalctl through the exec
// seam), each line prefixed by its service.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// journalDirs are where journald keeps journals; without either there is
// nothing to read.
func journalDirs() []string { return []string{"/run/log/journal", "/var/log/journal"} }

// ErrNoJournal means this host has no systemd journal.
var ErrNoJournal = errors.New("no systemd journal on this host (looked in /run/log/journal and /var/log/journal): " +
	"hotstack-os logs to the journal of the systemd that runs its units")

// JournalAvailable reports whether a journal exists.
func JournalAvailable() bool { return journalIn(journalDirs()) }

func journalIn(dirs []string) bool {
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// FollowOptions selects what Follow prints.
type FollowOptions struct {
	Units  []string // unit names or globs
	Lines  int      // history lines to show first
	Follow bool
	// JournalDirs are where to look for a journal (default journalDirs()).
	JournalDirs []string
	// Notes gets remarks for the operator (units that never logged).
	Notes io.Writer
}

// Follow prints the journal of the units, interleaved by time as the
// journal stores them, each line as "15:04:05.000 service | message".
// It returns when ctx ends (or, without Follow, at the end of the history).
// Without a journal it says so; units that never logged are named in
// Notes rather than waited on in silence.
func Follow(ctx context.Context, r execx.Runner, out io.Writer, o FollowOptions) error {
	dirs := o.JournalDirs
	if dirs == nil {
		dirs = journalDirs()
	}
	if !journalIn(dirs) {
		return ErrNoJournal
	}
	var unitArgs []string
	for _, u := range o.Units {
		unitArgs = append(unitArgs, "-u", u)
	}
	if o.Notes != nil {
		var probe bytes.Buffer
		if _, err := r.Run(ctx, execx.Command{Name: "journalctl", Args: append([]string{"--no-pager", "-o", "json", "-n", "1"}, unitArgs...), Stdout: &probe}); err == nil && !hasEntry(probe.Bytes()) {
			note := strings.Join(o.Units, ", ") + " has no journal entries yet (has it ever run?)"
			if o.Follow {
				note += "; waiting for its first line (Ctrl-C to stop)"
			}
			fmt.Fprintln(o.Notes, note)
		}
	}
	args := []string{"--no-pager", "-o", "json", "-n", strconv.Itoa(o.Lines)}
	if o.Follow {
		args = append(args, "-f")
	}
	w := &lineFormatter{out: out}
	_, err := r.Run(ctx, execx.Command{Name: "journalctl", Args: append(args, unitArgs...), Stdout: w})
	w.flush()
	if ctx.Err() != nil {
		return nil // Ctrl-C ends a follow; that is success
	}
	if err != nil {
		return fmt.Errorf("read the journal: %w", err)
	}
	return nil
}

// hasEntry reports whether journalctl's JSON output holds an entry.
func hasEntry(out []byte) bool {
	for line := range bytes.SplitSeq(out, []byte("\n")) {
		if _, ok := FormatEntry(line); ok {
			return true
		}
	}
	return false
}

// lineFormatter turns journalctl's JSON lines into prefixed text lines.
type lineFormatter struct {
	mu   sync.Mutex
	out  io.Writer
	part []byte
}

func (l *lineFormatter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, p...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		l.emit(l.part[:i])
		l.part = l.part[i+1:]
	}
	return len(p), nil
}

func (l *lineFormatter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.part) > 0 {
		l.emit(l.part)
		l.part = nil
	}
}

func (l *lineFormatter) emit(line []byte) {
	if f, ok := FormatEntry(line); ok {
		fmt.Fprintln(l.out, f)
	}
}

// FormatEntry renders one journalctl JSON entry; ok is false for lines that
// are not entries.
func FormatEntry(line []byte) (string, bool) {
	var e map[string]any
	if err := json.Unmarshal(line, &e); err != nil {
		return "", false
	}
	us, _ := strconv.ParseInt(str(e["__REALTIME_TIMESTAMP"]), 10, 64)
	ts := time.UnixMicro(us).Format("15:04:05.000")
	return fmt.Sprintf("%s %-18s | %s", ts, serviceOf(str(e["_SYSTEMD_UNIT"]), str(e["UNIT"])), message(e["MESSAGE"])), true
}

// serviceOf names the hotstack-os service of a unit ("systemd" when none):
// the entry's own unit, or for systemd's messages about it, the UNIT field.
func serviceOf(unit, about string) string {
	for _, u := range []string{unit, about} {
		if s, ok := strings.CutPrefix(u, "hotstack-os-"); ok {
			return strings.TrimSuffix(s, ".service")
		}
	}
	return "systemd"
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// message decodes MESSAGE, which journalctl gives as a byte array when it
// is not valid UTF-8.
func message(v any) string {
	switch m := v.(type) {
	case string:
		return m
	case []any:
		b := make([]byte, 0, len(m))
		for _, x := range m {
			if f, ok := x.(float64); ok {
				b = append(b, byte(f))
			}
		}
		return string(b)
	}
	return ""
}

package host

import (
	"bytes"
	"fmt"
	"strings"
)

// Block is a marked region of a host file that hotstack-os owns. Everything
// outside it belongs to the operator and is kept byte for byte.
type Block struct {
	Begin, End string // marker lines, e.g. "# BEGIN hotstack-os managed entries"
}

// MarkerError is a file whose markers are not one BEGIN followed by one END.
// The file must then be fixed by hand: editing it could delete operator
// lines (as the original's sed '/BEGIN/,/END/d' did when END was missing).
type MarkerError struct {
	File    string
	Problem string
	Lines   []int
}

func (e *MarkerError) Error() string {
	var ls []string
	for _, l := range e.Lines {
		ls = append(ls, fmt.Sprint(l))
	}
	return fmt.Sprintf("%s: %s (line %s); fix the markers by hand, nothing was changed", e.File, e.Problem, strings.Join(ls, ", "))
}

// line is one line of a file with its terminator ("\n", "\r\n" or "").
type line struct {
	text, eol string
}

func splitLines(data []byte) []line {
	var out []line
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			out = append(out, line{text: string(data)})
			break
		}
		l := line{text: string(data[:i]), eol: "\n"}
		if strings.HasSuffix(l.text, "\r") {
			l.text, l.eol = l.text[:len(l.text)-1], "\r\n"
		}
		out = append(out, l)
		data = data[i+1:]
	}
	return out
}

func joinLines(ls []line) []byte {
	var b bytes.Buffer
	for _, l := range ls {
		b.WriteString(l.text)
		b.WriteString(l.eol)
	}
	return b.Bytes()
}

// find locates the block; begin and end are -1 when absent.
func (b Block) find(file string, ls []line) (begin, end int, err error) {
	var begins, ends []int
	for i, l := range ls {
		switch strings.TrimSpace(l.text) {
		case b.Begin:
			begins = append(begins, i)
		case b.End:
			ends = append(ends, i)
		}
	}
	human := func(idx []int) []int {
		out := make([]int, len(idx))
		for i, v := range idx {
			out[i] = v + 1
		}
		return out
	}
	switch {
	case len(begins) > 1:
		return 0, 0, &MarkerError{File: file, Problem: "BEGIN marker appears more than once", Lines: human(begins)}
	case len(ends) > 1:
		return 0, 0, &MarkerError{File: file, Problem: "END marker appears more than once", Lines: human(ends)}
	case len(begins) == 1 && len(ends) == 0:
		return 0, 0, &MarkerError{File: file, Problem: "BEGIN marker without END marker", Lines: human(begins)}
	case len(begins) == 0 && len(ends) == 1:
		return 0, 0, &MarkerError{File: file, Problem: "END marker without BEGIN marker", Lines: human(ends)}
	case len(begins) == 1 && ends[0] < begins[0]:
		return 0, 0, &MarkerError{File: file, Problem: "END marker comes before BEGIN marker", Lines: human([]int{ends[0], begins[0]})}
	case len(begins) == 0:
		return -1, -1, nil
	}
	return begins[0], ends[0], nil
}

// eol returns the file's line terminator (that of its first line), "\n"
// for a file with none.
func eol(ls []line) string {
	for _, l := range ls {
		if l.eol != "" {
			return l.eol
		}
	}
	return "\n"
}

// Apply returns data with the block holding body (one entry per element),
// replacing the existing block in place or appending one. A file without a
// final newline gets the block after a separating terminator and none after
// END, so that Remove restores it byte for byte.
func (b Block) Apply(file string, data []byte, body []string) ([]byte, error) {
	ls := splitLines(data)
	begin, end, err := b.find(file, ls)
	if err != nil {
		return nil, err
	}
	nl := eol(ls)
	block := []line{{text: b.Begin, eol: nl}}
	for _, e := range body {
		block = append(block, line{text: e, eol: nl})
	}
	block = append(block, line{text: b.End, eol: nl})
	if begin >= 0 {
		block[len(block)-1].eol = ls[end].eol
		out := append(append(append([]line{}, ls[:begin]...), block...), ls[end+1:]...)
		return joinLines(out), nil
	}
	if n := len(ls); n > 0 && ls[n-1].eol == "" {
		ls[n-1].eol = nl
		block[len(block)-1].eol = ""
	}
	return joinLines(append(ls, block...)), nil
}

// Remove returns data without the block (unchanged when there is none).
func (b Block) Remove(file string, data []byte) ([]byte, error) {
	ls := splitLines(data)
	begin, end, err := b.find(file, ls)
	if err != nil || begin < 0 {
		return data, err
	}
	endEOL := ls[end].eol
	out := append(append([]line{}, ls[:begin]...), ls[end+1:]...)
	// The block closed the file without a terminator: the one before it
	// was added with it.
	if end == len(ls)-1 && endEOL == "" && begin > 0 {
		out[begin-1].eol = ""
	}
	return joinLines(out), nil
}

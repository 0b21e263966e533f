package ui

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/settings"
)

// errorJSON is an error as the JSON modes print it: one object, with where
// the problem is when that is known (the first problem's, when there are
// several; problems lists them all).
type errorJSON struct {
	Level    string        `json:"level"`
	Time     string        `json:"time"`
	Error    string        `json:"error"`
	File     string        `json:"file,omitempty"`
	Line     int           `json:"line,omitempty"`
	Key      string        `json:"key,omitempty"`
	Variable string        `json:"variable,omitempty"`
	Problems []problemJSON `json:"problems,omitempty"`
}

type problemJSON struct {
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Key      string `json:"key,omitempty"`
	Variable string `json:"variable,omitempty"`
	Message  string `json:"message"`
}

// WriteErrorJSON writes err as one JSON line to w.
func WriteErrorJSON(w io.Writer, err error) {
	o := errorJSON{Level: "error", Time: time.Now().Format(TimeFormat), Error: err.Error()}
	var ve config.ValidationError
	var ce *config.Error
	var se *settings.Error
	switch {
	case errors.As(err, &ve):
		for _, p := range ve {
			o.Problems = append(o.Problems, problemJSON{File: p.File, Line: p.Line, Key: p.Key, Message: p.Msg})
		}
	case errors.As(err, &ce):
		o.Problems = []problemJSON{{File: ce.File, Line: ce.Line, Key: ce.Key, Message: ce.Msg}}
	case errors.As(err, &se):
		for _, p := range se.Problems {
			name, _, _ := strings.Cut(p, "=")
			o.Problems = append(o.Problems, problemJSON{Variable: name, Message: p})
		}
	}
	if len(o.Problems) > 0 {
		first := o.Problems[0]
		o.File, o.Line, o.Key, o.Variable = first.File, first.Line, first.Key, first.Variable
	}
	data, _ := json.Marshal(o)
	_, _ = w.Write(append(data, '\n'))
}

// PrintError writes err to w for a process that prints its own errors (the
// helper binary, `mage logs SERVICE`): one JSON object when asJSON (the run
// asked for JSON), else prefix and the message.
func PrintError(w io.Writer, asJSON bool, err error, prefix string) {
	if asJSON {
		WriteErrorJSON(w, err)
		return
	}
	_, _ = io.WriteString(w, prefix+err.Error()+"\n")
}

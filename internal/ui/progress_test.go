package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/tasks"
)

func testGraph(t *testing.T) *tasks.Graph {
	g, err := tasks.NewGraph([]tasks.Node{{Name: "infra", Layer: 1}, {Name: "db", Layer: 2, Deps: []string{"infra"}}, {Name: "api", Layer: 3, Deps: []string{"db"}}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestLiveViewRedrawsInPlace(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(zerolog.Nop(), &out, testGraph(t), true)
	now := time.Now()
	p.Observe(tasks.Event{Time: now, Node: "infra", Layer: 1, State: tasks.Healthy})
	p.Observe(tasks.Event{Time: now, Node: "db", Layer: 2, State: tasks.Probing})
	p.Observe(tasks.Event{Time: now, Node: "api", Layer: 3, State: tasks.WaitingDeps, Detail: "db"})
	p.Close()
	text := out.String()
	for _, want := range []string{"layer 1", "✔ infra", "? db", "probing", "… api", "waiting for deps", "on db\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("view lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(text, "\x1b[2K") {
		t.Error("lines are not cleared before redraw")
	}
}

func TestEventLinesNameTheirService(t *testing.T) {
	var out bytes.Buffer
	p := NewProgress(NewLogger(&out, JSON), &out, testGraph(t), false)
	p.Observe(tasks.Event{Time: time.Now(), Node: "db", Layer: 2, State: tasks.Failed, Detail: "container exited"})
	p.Close()
	line := out.String()
	for _, want := range []string{`"level":"error"`, `"service":"db"`, `"state":"failed"`, `"detail":"container exited"`} {
		if !strings.Contains(line, want) {
			t.Errorf("event line lacks %s: %s", want, line)
		}
	}
	if strings.Count(line, "\n") != 1 {
		t.Errorf("one event, %d lines", strings.Count(line, "\n"))
	}
}

package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hotstack-os/hotstack-os/internal/systemd"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/tasks"
)

// ServiceStatus is one row of `mage status`.
type ServiceStatus struct {
	Layer   int       `json:"layer"`
	Service string    `json:"service"`
	Unit    string    `json:"unit"`
	State   string    `json:"state"` // ActiveState/SubState
	Healthy bool      `json:"healthy"`
	Health  string    `json:"health"` // probe output or reason
	Since   time.Time `json:"since"`
	Restart uint32    `json:"restarts"`
}

// Status prints each service's unit state and health; it succeeds only
// when every service is active and healthy. HOTSTACK_OUTPUT=json prints
// JSON for scripts.
func (a *App) Status(ctx context.Context) error {
	b, closeBus, err := a.backend(ctx)
	if err != nil {
		return err
	}
	defer closeBus()
	rows := collectStatus(ctx, b)
	if a.o.JSONOutput {
		enc := json.NewEncoder(a.o.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return err
		}
	} else {
		printStatus(a.o.Stdout, rows, time.Now())
	}
	bad := 0
	for _, r := range rows {
		if !r.Healthy {
			bad++
		}
	}
	if bad > 0 {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("status: %d of %d services not active and healthy", bad, len(rows))}
	}
	return nil
}

// collectStatus reads every service's unit state and, for active ones,
// probes its health: a few at a time, since each probe is a `podman exec`.
func collectStatus(ctx context.Context, b *systemd.Backend) []ServiceStatus {
	services := b.Stack.Services()
	rows := make([]ServiceStatus, len(services))
	var g errgroup.Group
	g.SetLimit(tasks.ProbeConcurrency)
	for i, svc := range services {
		g.Go(func() error {
			rows[i] = serviceStatus(ctx, b, svc)
			return nil
		})
	}
	_ = g.Wait() // the rows carry every error
	return rows
}

func serviceStatus(ctx context.Context, b *systemd.Backend, svc *stack.Service) ServiceStatus {
	unit := stack.UnitName(svc.Name)
	row := ServiceStatus{Layer: svc.Layer, Service: svc.Name, Unit: unit}
	us, err := b.Manager.State(ctx, unit)
	if err != nil {
		row.State, row.Health = "unknown", err.Error()
		return row
	}
	row.State, row.Since, row.Restart = us.Active+"/"+us.Sub, us.Since, us.Restarts
	if us.Active != "active" {
		row.Health = "-"
		return row
	}
	pctx, cancel := context.WithTimeout(ctx, b.Policy(svc.Name).ProbeTimeout)
	defer cancel()
	res := b.Probe(pctx, svc.Name)
	row.Healthy, row.Health = res.Healthy, firstLine(res.Output)
	if res.Healthy {
		row.Health = "healthy"
	}
	return row
}

func printStatus(w io.Writer, rows []ServiceStatus, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LAYER\tSERVICE\tUNIT STATE\tHEALTH\tSINCE\tRESTARTS")
	for _, r := range rows {
		since := "-"
		if !r.Since.IsZero() {
			since = now.Sub(r.Since).Round(time.Second).String() + " ago"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\n", r.Layer, r.Service, r.State, r.Health, since, r.Restart)
	}
	_ = tw.Flush()
}

// firstLine shortens probe output for the table: its first line, or at most
// 80 characters.
func firstLine(s string) string {
	if line, _, found := strings.Cut(s, "\n"); found {
		return line
	}
	if len(s) > 80 {
		return s[:79] + "…"
	}
	return s
}

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/hotstack-os/hotstack-os/backend"
	"github.com/hotstack-os/hotstack-os/stack"
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

// Status prints the stack's state; it succeeds only when every service is
// active and healthy. HOTSTACK_OUTPUT=json prints JSON for scripts.
func Status() error {
	s := begin()
	defer s.stop()
	b, closeBus, err := s.systemdBackend()
	if err != nil {
		return exit(err)
	}
	defer closeBus()
	rows := collectStatus(s.ctx, b, s.opts.Stack)
	if os.Getenv("HOTSTACK_OUTPUT") == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rows)
	} else {
		printStatus(os.Stdout, rows, time.Now())
	}
	bad := 0
	for _, r := range rows {
		if !r.Healthy {
			bad++
		}
	}
	if bad > 0 {
		return &ExitError{Code: 1, Err: fmt.Errorf("status: %d of %d services not active and healthy", bad, len(rows))}
	}
	return nil
}

func collectStatus(ctx context.Context, b *backend.Systemd, st *stack.Stack) []ServiceStatus {
	rows := make([]ServiceStatus, len(st.Services()))
	var wg sync.WaitGroup
	// A few probes at a time: each is a `podman exec`, and 23 at once on
	// two cores push some past their timeout.
	sem := make(chan struct{}, 4)
	for i, svc := range st.Services() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			unit := stack.UnitName(svc.Name)
			row := ServiceStatus{Layer: svc.Layer, Service: svc.Name, Unit: unit}
			us, err := b.Manager.State(ctx, unit)
			if err != nil {
				row.State, row.Health = "unknown", err.Error()
				rows[i] = row
				return
			}
			row.State, row.Since, row.Restart = us.Active+"/"+us.Sub, us.Since, us.Restarts
			if us.Active == "active" {
				pctx, cancel := context.WithTimeout(ctx, b.Policy(svc.Name).ProbeTimeout)
				res := b.Probe(pctx, svc.Name)
				cancel()
				row.Healthy, row.Health = res.Healthy, firstLine(res.Output)
				if res.Healthy {
					row.Health = "healthy"
				}
			} else {
				row.Health = "-"
			}
			rows[i] = row
		}()
	}
	wg.Wait()
	return rows
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

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	if len(s) > 80 {
		return s[:79] + "…"
	}
	return s
}

package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hotstack-os/hotstack-os/internal/exitcode"
	"github.com/hotstack-os/hotstack-os/internal/images"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/internal/systemd"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/tasks"
	"github.com/hotstack-os/hotstack-os/units"
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
	Restart uint32    `json:"restarts"` // automatic restarts since the last explicit start
	// Retrying: systemd starts it again by itself, every RestartSec,
	// after the failure LastExit and Result describe.
	Retrying bool   `json:"retrying"`
	Result   string `json:"result,omitempty"`    // the unit's last result: success, exit-code, signal, timeout, ...
	LastExit string `json:"last_exit,omitempty"` // how its container process ended last: "exited 1", ...
	// LastLog is the last line the service's container logged, when it
	// is not healthy: usually the why.
	LastLog string `json:"last_log,omitempty"`
}

// Status prints each service's unit state and health; it succeeds only
// when every service is active and healthy. HOTSTACK_OUTPUT=json prints
// JSON for scripts.
func (a *App) Status(ctx context.Context) error {
	// Nothing installed is its own answer, not 23 dead rows.
	manifest := a.o.Paths.ManifestFile()
	if paths, err := install.ReadManifest(a.o.Root, manifest); err == nil && len(paths) == 0 {
		return &exitcode.Error{Code: exitcode.Failure, Err: fmt.Errorf("status: hotstack-os is not installed (%s lists nothing); `mage up` installs and starts it", manifest)}
	}
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
	if note := imageUpdatesNote(images.UpdateRecordFile(a.o.ImageCache), time.Now()); note != "" {
		// A log line, not output: HOTSTACK_OUTPUT=json stays the rows.
		a.o.Log.Warn().Msg(note)
	}
	bad := 0
	for _, r := range rows {
		if !r.Healthy {
			bad++
		}
	}
	if bad > 0 {
		return &exitcode.Error{Code: exitcode.Failure, Err: fmt.Errorf("status: %d of %d services not active and healthy", bad, len(rows))}
	}
	return nil
}

// collectStatus reads every service's unit state and, for active ones,
// probes its health: a few at a time, since each probe is a `podman exec`.
func collectStatus(ctx context.Context, b *systemd.Backend) []ServiceStatus {
	services := b.Stack.Services()
	rows := make([]ServiceStatus, len(services))
	// The queued jobs, read in one call: a unit retrying behind its
	// dependencies is inactive with a start job.
	var names []string
	for _, svc := range services {
		names = append(names, stack.UnitName(svc.Name))
	}
	jobs, _ := b.Manager.States(ctx, names)
	var g errgroup.Group
	g.SetLimit(tasks.ProbeConcurrency)
	for i, svc := range services {
		g.Go(func() error {
			rows[i] = serviceStatus(ctx, b, svc, jobs[stack.UnitName(svc.Name)].Job)
			return nil
		})
	}
	_ = g.Wait() // the rows carry every error
	return rows
}

func serviceStatus(ctx context.Context, b *systemd.Backend, svc *stack.Service, job string) ServiceStatus {
	unit := stack.UnitName(svc.Name)
	row := ServiceStatus{Layer: svc.Layer, Service: svc.Name, Unit: unit}
	us, err := b.Manager.State(ctx, unit)
	if err != nil {
		row.State, row.Health = "unknown", err.Error()
		return row
	}
	us.Job = job
	row.State, row.Since, row.Restart = us.Active+"/"+us.Sub, us.Since, us.Restarts
	row.Retrying, row.Result, row.LastExit = us.Retrying(), us.Result, us.LastExit
	if row.Result == "success" {
		row.Result = ""
	}
	row.Health = "-"
	// Active, or in its health gate (start-post): the probe says how it is.
	if us.Active == "active" || us.Active == "activating" && us.Sub == "start-post" {
		pctx, cancel := context.WithTimeout(ctx, b.Policy(svc.Name).ProbeTimeout)
		defer cancel()
		res := b.Probe(pctx, svc.Name)
		row.Healthy, row.Health = res.Healthy && us.Active == "active", firstLine(res.Output)
		if row.Healthy {
			row.Health = "healthy"
			return row
		}
	}
	// Why it is not healthy, unless it was stopped on purpose.
	if svc.Oneshot || !row.Retrying && us.Active != "failed" && us.Active != "active" {
		return row
	}
	if last, err := systemd.LastLine(ctx, b.Runner, unit, stack.ContainerName(svc.Name), us.MainPID); err == nil {
		row.LastLog = last
	}
	if row.Retrying {
		why := "retrying every " + units.RestartDelay.String()
		if us.Active == "inactive" {
			why += ", queued behind its dependencies"
		}
		if row.LastExit != "" {
			why += "; last run " + row.LastExit
			if row.Result != "" {
				why += " (" + row.Result + ")"
			}
		}
		if row.Health != "-" && row.Health != "" {
			why += "; probe: " + row.Health
		}
		row.Health = why
	}
	return row
}

func printStatus(w io.Writer, rows []ServiceStatus, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LAYER\tSERVICE\tUNIT STATE\tHEALTH\tSINCE\tRESTARTS")
	var why []string
	for _, r := range rows {
		since := "-"
		if !r.Since.IsZero() {
			since = now.Sub(r.Since).Round(time.Second).String() + " ago"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\n", r.Layer, r.Service, r.State, r.Health, since, r.Restart)
		if r.LastLog != "" {
			why = append(why, fmt.Sprintf("%s: %s", r.Service, r.LastLog))
		}
	}
	_ = tw.Flush()
	if len(why) > 0 {
		fmt.Fprintln(w, "\nLast line logged by each service that is not healthy:")
		for _, line := range why {
			fmt.Fprintln(w, "  "+line)
		}
	}
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

// staleCheck is how old the last check for package updates may be before
// status says so: Debian's security updates come weekly or sooner.
const staleCheck = 7 * 24 * time.Hour

// imageUpdatesNote is status's line on the images' package updates, read
// from the record the last `mage images` left (status asks no archive):
// "" when that check is recent and found none.
func imageUpdatesNote(record string, now time.Time) string {
	rec, err := images.ReadUpdateRecord(record)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "images: never checked for package updates; `mage images` checks and rebuilds the images that have some"
	case err != nil:
		return fmt.Sprintf("images: the last check for package updates cannot be read: %v", err)
	}
	age := now.Sub(rec.Checked)
	if pending := rec.Images.Pending(); len(pending) > 0 {
		var counts []string
		for _, img := range pending {
			counts = append(counts, fmt.Sprintf("%s %d", shortImage(img), len(rec.Images[img])))
		}
		return fmt.Sprintf("images: package updates pending in %d of %d images (%s), as `mage images` found %s ago; `mage images` rebuilds them, `mage up` then restarts their services",
			len(pending), len(rec.Images), strings.Join(counts, ", "), roughly(age))
	}
	if age > staleCheck {
		return fmt.Sprintf("images: last checked for package updates %s ago; `mage images` checks again", roughly(age))
	}
	return ""
}

// roughly is a duration as a person says it: 40m, 5h, 9d.
func roughly(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

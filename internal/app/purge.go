package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/host"
	"github.com/hotstack-os/hotstack-os/internal/install"
)

// purgePlan is what a purge deletes, gathered before anything is, so the
// operator sees it before answering.
type purgePlan struct {
	dirs       []string // the recorded data directories that exist
	configured []string // the config's data directories (purge names those it keeps)
	files      int      // the manifest's files
	domains    []install.Domain
	live       bool // containers, network and bridges go too
}

// errNotConfirmed: the purge was not confirmed, and nothing was deleted.
var errNotConfirmed = errors.New("purge not confirmed; nothing was deleted")

// confirmHint says how to go on, in every refusal.
const confirmHint = "to delete it for good, answer yes on a terminal or set HOTSTACK_PURGE_CONFIRM=yes " +
	"(`HOTSTACK_PURGE=1 HOTSTACK_PURGE_CONFIRM=yes mage uninstall`); without HOTSTACK_PURGE=1, uninstall keeps the data"

// planPurge gathers what a purge deletes. It refuses, deleting nothing, a
// record that names a system directory or a config that no longer
// validates (it names the directories the stack used).
func (a *App) planPurge(ctx context.Context, recordPath string, files int) (purgePlan, error) {
	p := purgePlan{files: files, live: a.o.Live()}
	dirs, err := install.PurgeDirs(a.o.Root, recordPath)
	if err != nil {
		return p, err
	}
	p.dirs = dirs
	cfg, err := a.installedConfig()
	if err != nil {
		return p, fmt.Errorf("purge: %w", err)
	}
	p.configured = a.host(cfg).DataDirs()
	if p.live {
		if p.domains, err = install.NovaDomains(ctx, a.o.Runner); err != nil {
			return p, fmt.Errorf("purge: %w; nothing was deleted", err)
		}
	}
	return p, nil
}

// sayPurgePlan lists what the purge will delete, each data directory with
// its size.
func (a *App) sayPurgePlan(p purgePlan) {
	log := a.o.Log
	var total int64
	for _, d := range p.dirs {
		size, err := treeSize(install.Rooted(a.o.Root, d))
		total += size
		what := humanBytes(size)
		if err != nil {
			what += ", or more: " + err.Error()
		}
		log.Warn().Str("path", d).Msgf("purge will delete %s (%s)", d, what)
	}
	if len(p.domains) > 0 {
		log.Warn().Msgf("purge will stop and undefine nova's libvirt domains, whose disks are in the data: %s", install.DomainNames(p.domains))
	}
	if p.live {
		log.Warn().Msgf("purge will remove the hotstack-os containers, the podman network %s and the bridges %s and %s",
			host.NetworkName, host.IntegrationBridge, host.ExternalBridge)
	}
	if p.files > 0 {
		log.Warn().Msgf("purge will remove the %d installed files (units, configuration, secrets, key, helper)", p.files)
	}
	dirs := "data directories"
	if len(p.dirs) == 1 {
		dirs = "data directory"
	}
	log.Warn().Msgf("purge: %d %s, %s in all, deleted for good (databases, images, instance disks, volumes)", len(p.dirs), dirs, humanBytes(total))
}

// confirmPurge lets the purge go on when HOTSTACK_PURGE_CONFIRM=yes, or
// when the operator answers yes on a terminal, where a backup is offered
// first (the databases still run). Otherwise it returns an error saying
// how to go on.
func (a *App) confirmPurge(ctx context.Context) error {
	if a.o.PurgeConfirmed {
		a.o.Log.Warn().Msg("purge: confirmed by HOTSTACK_PURGE_CONFIRM=yes")
		return nil
	}
	if !a.o.Interactive || a.stdin == nil {
		return fmt.Errorf("%w: standard input is not a terminal, so there is no one to ask; %s", errNotConfirmed, confirmHint)
	}
	backup, err := a.ask(ctx, "Back up the databases and keys first (mage backup)? [y/N] ")
	if err != nil {
		return err
	}
	if backup {
		if err := a.Backup(ctx); err != nil {
			return fmt.Errorf("purge: the backup failed, so nothing was deleted: %w", err)
		}
	}
	yes, err := a.ask(ctx, "Delete all of the above for good? [y/N] ")
	if err != nil {
		return err
	}
	if !yes {
		return fmt.Errorf("%w: the answer was not yes; %s", errNotConfirmed, confirmHint)
	}
	return nil
}

// ask writes question on stderr and reports whether the answer read from
// stdin is y or yes. Ctrl-C while it waits ends the run (the signal is
// caught, so the read itself would go on waiting).
func (a *App) ask(ctx context.Context, question string) (bool, error) {
	fmt.Fprint(a.o.Stderr, question)
	type answer struct {
		line string
		err  error
	}
	read := make(chan answer, 1)
	go func() {
		line, err := a.stdin.ReadString('\n')
		read <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(a.o.Stderr)
		return false, ctx.Err()
	case ans := <-read:
		if ans.err != nil && !errors.Is(ans.err, io.EOF) {
			return false, fmt.Errorf("read the answer: %w", ans.err)
		}
		if errors.Is(ans.err, io.EOF) && ans.line == "" {
			fmt.Fprintln(a.o.Stderr) // end of input (Ctrl-D): no
		}
		word := strings.ToLower(strings.TrimSpace(ans.line))
		return word == "y" || word == "yes", nil
	}
}

// clearHost stops the stack and removes what it made on the host beyond
// files: nova's libvirt domains (before their disks go), the containers,
// the podman network and the bridges. The live system only.
func (a *App) clearHost(ctx context.Context) error {
	if err := a.stopStack(ctx); err != nil {
		return err
	}
	// Listed again now that nova-compute is stopped: a guest it started
	// while the operator read the question is removed too.
	domains, err := install.NovaDomains(ctx, a.o.Runner)
	if err != nil {
		return err
	}
	if err := install.RemoveDomains(ctx, a.o.Runner, domains, a.o.Log); err != nil {
		return err
	}
	return a.purgeHost(ctx)
}

// stopStack stops and disables the target, then stops every hotstack-os
// unit systemd still runs: also those the manifest does not list (it may
// be gone, or from an older version) and those started by hand.
func (a *App) stopStack(ctx context.Context) error {
	mgr, err := a.o.Systemd(ctx)
	if err != nil {
		return err
	}
	defer mgr.Close()
	if err := a.stopAndDisable(ctx, mgr); err != nil {
		return err
	}
	units, err := install.ActiveUnits(ctx, a.o.Runner)
	if err != nil {
		return err
	}
	for _, u := range units {
		if err := mgr.Stop(ctx, u); err != nil {
			return fmt.Errorf("stop %s before uninstalling: %w", u, err)
		}
	}
	if len(units) > 0 {
		a.o.Log.Info().Msgf("uninstall: stopped %s, which systemd still ran", strings.Join(units, ", "))
	}
	return nil
}

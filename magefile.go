//go:build mage

// hotstack-os brings up a single-host OpenStack as systemd-managed podman
// containers. Each target is one call into a package; see README.md.
package main

import (
	"os"

	"github.com/magefile/mage/mg"

	"github.com/hotstack-os/hotstack-os/cli"
)

// Check validates .env and that every image exists; writes nothing.
func Check() error { return cli.Check() }

// Config renders templates/configs/ and templates/scripts/ into the data directory.
func Config() error {
	mg.Deps(Check)
	return cli.Config()
}

// Install validates, renders and installs units, config, secrets and helper.
func Install() error {
	mg.SerialDeps(Check, Config)
	return cli.Install()
}

// Uninstall stops the stack and removes exactly what install wrote.
func Uninstall() error { return cli.Uninstall() }

// Test runs every test tier, installing missing Debian packages first.
func Test() error { return cli.Test() }

// Infra groups the host-infrastructure targets.
type Infra mg.Namespace

// Setup creates bridges, hot-ex address, podman network, hosts/exports entries, data dirs.
func (Infra) Setup() error { return cli.InfraSetup() }

// Cleanup removes the hosts/exports entries; HOTSTACK_PURGE=1 also bridges and network.
func (Infra) Cleanup() error { return cli.InfraCleanup() }

// Installed fails unless the installed units match what .env renders.
func Installed() error { return cli.Installed() }

// Up starts the stack: each service as soon as its dependencies are healthy.
func Up() error {
	mg.Deps(Installed)
	return cli.Up()
}

// Down stops the stack in reverse layer order, then cleans up the host infra.
func Down() error { return cli.Down() }

// Status shows each service's unit state and health; exit 0 only if all healthy.
func Status() error { return cli.Status() }

// Plan shows what install, infra:setup and up would change; exit 2 if anything.
func Plan() error { return cli.Plan() }

// Graph prints the service graph as Graphviz DOT (dot -Tsvg to draw it).
func Graph() error { return cli.Graph() }

// Logs follows the journal of every unit; `mage logs keystone` for one service.
func Logs(service *string) error {
	name := ""
	if service != nil {
		name = *service
	}
	if arg, consumed := cli.PositionalArg("logs"); consumed {
		// Exit here, so that mage does not take the service for a target.
		err := cli.Logs(arg)
		os.Exit(cli.ExitCode(err))
	}
	return cli.Logs(name)
}

// Package infra sets up and cleans up the host infrastructure the stack
// needs: Open vSwitch bridges, the hot-ex address, the podman network,
// managed blocks in /etc/hosts and /etc/exports, and the data directories.
// Every step is idempotent and says whether it changed anything.
package infra

// Command hotstack-os is the helper binary the installed units call (the
// health gate, the infra oneshot) and, mounted into every container, the
// containers' entrypoint and mount.nfs. Operators use mage instead. Its
// commands are internal/helper's.
package main

import (
	"os"

	"github.com/hotstack-os/hotstack-os/internal/helper"
)

func main() { os.Exit(helper.Main(os.Args[1:], os.Stdout, os.Stderr)) }

package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/hotstack-os/hotstack-os/deploy"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/journal"
	"github.com/hotstack-os/hotstack-os/stack"
)

// Logs follows the journal of every hotstack-os unit, or of one service,
// interleaved by time, each line prefixed with its service.
func Logs(service string) error {
	s := begin()
	defer s.stop()
	units := []string{"hotstack-os*"}
	if service != "" {
		if s.opts.Stack.Get(service) == nil {
			return exit(fmt.Errorf("unknown service %q; services: %s", service, strings.Join(serviceNames(s.opts.Stack), ", ")))
		}
		units = []string{stack.UnitName(service)}
	}
	follow := os.Getenv("HOTSTACK_LOGS_FOLLOW") != "0"
	lines, err := strconv.Atoi(deploy.Getenv("HOTSTACK_LOGS_LINES", "50"))
	if err != nil {
		return exit(fmt.Errorf("HOTSTACK_LOGS_LINES: %w", err))
	}
	return exit(journal.Follow(s.ctx, execx.System{}, os.Stdout, journal.Options{Units: units, Lines: lines, Follow: follow}))
}

// PositionalArg returns the word after target on the command line, for
// `mage logs keystone`: mage's own optional arguments are flags
// (-service=keystone), and a bare word would be taken for another target.
// consumed tells the caller to exit after the target, before mage reads on.
func PositionalArg(target string) (arg string, consumed bool) {
	args := os.Args[1:]
	for i, a := range args {
		if strings.EqualFold(a, target) && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			return args[i+1], true
		}
	}
	return "", false
}

func serviceNames(st *stack.Stack) []string {
	var out []string
	for _, s := range st.Services() {
		out = append(out, s.Name)
	}
	return out
}

// Graph prints the service graph as Graphviz DOT.
func Graph() error {
	st, err := stack.Default()
	if err != nil {
		return exit(err)
	}
	_, err = os.Stdout.Write(st.DOT())
	return exit(err)
}

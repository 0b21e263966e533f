package execx

import (
	"context"
	"strings"
	"sync"
)

// Fake is a Runner for unit tests. Handler decides each command's outcome;
// every call is recorded in order.
type Fake struct {
	Handler func(ctx context.Context, c Command) (Result, error)

	mu    sync.Mutex
	calls []Command
}

// Run implements Runner.
func (f *Fake) Run(ctx context.Context, c Command) (Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	if f.Handler == nil {
		return Result{}, nil
	}
	return f.Handler(ctx, c)
}

// Calls returns the commands run so far, each as "name arg1 arg2".
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.calls))
	for i, c := range f.calls {
		out[i] = strings.TrimSpace(c.Name + " " + strings.Join(c.Args, " "))
	}
	return out
}

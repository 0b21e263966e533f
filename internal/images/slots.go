package images

import (
	"cmp"
	"context"
	"slices"
	"sync"
)

// slots lets a limited number of builds run at once and, when one ends,
// lets in the waiting build with the most images built on it: the base
// of the OpenStack services (openstack-common, the longest build, with
// seven images waiting for it) goes before the small images beside it,
// which fill the other core meanwhile. Among builds with as many images
// on them, the one with more packages named goes first (the longest
// first, so the last builds end together: nova before placement, the
// test guest before memcached); then recipe order.
type slots struct {
	ctx      context.Context
	mu       sync.Mutex
	changed  *sync.Cond
	free     int
	waiting  []string
	priority func(a, b string) int
}

func newSlots(ctx context.Context, n int, rs []Recipe) *slots {
	s := &slots{ctx: ctx, free: n}
	s.changed = sync.NewCond(&s.mu)
	rank, size, order := descendants(rs), map[string]int{}, recipeNames(rs)
	for _, r := range rs {
		size[r.Name] = len(r.Packages) + len(r.Stubs)
	}
	s.priority = func(a, b string) int {
		return cmp.Or(rank[b]-rank[a], size[b]-size[a], slices.Index(order, a)-slices.Index(order, b))
	}
	// A cancelled build stops waiting.
	context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.changed.Broadcast()
	})
	return s
}

// expect queues builds that can start at once, before any asks for its
// slot: the first to ask would otherwise take one whatever its rank.
func (s *slots) expect(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting = append(s.waiting, names...)
	slices.SortStableFunc(s.waiting, s.priority)
}

// acquire waits for a slot for name's build, or for the context's end.
func (s *slots) acquire(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.waiting, name) {
		s.waiting = append(s.waiting, name)
		slices.SortStableFunc(s.waiting, s.priority)
	}
	for s.ctx.Err() == nil && (s.free == 0 || s.waiting[0] != name) {
		s.changed.Wait()
	}
	s.waiting = slices.DeleteFunc(s.waiting, func(w string) bool { return w == name })
	if err := s.ctx.Err(); err != nil {
		s.changed.Broadcast()
		return err
	}
	s.free--
	s.changed.Broadcast() // the next in line may take another free slot
	return nil
}

func (s *slots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.free++
	s.changed.Broadcast()
}

// descendants counts, for each recipe, the recipes built on it,
// directly or not.
func descendants(rs []Recipe) map[string]int {
	parent := map[string]string{}
	for _, r := range rs {
		parent[r.Name] = r.Parent
	}
	out := map[string]int{}
	for _, r := range rs {
		for p := r.Parent; p != ""; p = parent[p] {
			out[p]++
		}
	}
	return out
}

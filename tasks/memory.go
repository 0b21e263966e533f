package tasks

import (
	"context"
	"sync"
	"time"

	"github.com/hotstack-os/hotstack-os/health"
)

// Memory is an in-memory Backend for tests and benchmarks: a node becomes
// healthy a set delay after Start, or dies, or never becomes healthy. It
// records when each node started and became healthy.
type Memory struct {
	Delay     map[string]time.Duration
	Dead      map[string]bool // exits at once after Start
	Never     map[string]bool // runs but never becomes healthy
	StartErr  map[string]error
	PolicyFor func(node string) health.Policy

	mu        sync.Mutex
	started   map[string]time.Time
	ready     map[string]time.Time // when it became healthy (start + delay)
	starts    int
	stops     []string
	stopDelay time.Duration
}

// NewMemory returns a Memory backend with the given per-node delays.
func NewMemory(delay map[string]time.Duration, policy func(string) health.Policy) *Memory {
	return &Memory{Delay: delay, Dead: map[string]bool{}, Never: map[string]bool{}, StartErr: map[string]error{},
		PolicyFor: policy, started: map[string]time.Time{}, ready: map[string]time.Time{}}
}

// MarkRunning makes node look started long ago and healthy.
func (m *Memory) MarkRunning(node string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	past := time.Now().Add(-time.Hour)
	m.started[node], m.ready[node] = past, past
}

func (m *Memory) Start(ctx context.Context, node string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.StartErr[node]; err != nil {
		return err
	}
	now := time.Now()
	m.starts++
	m.started[node] = now
	if !m.Dead[node] && !m.Never[node] {
		m.ready[node] = now.Add(m.Delay[node])
	}
	return nil
}

func (m *Memory) Stop(ctx context.Context, node string) error {
	m.mu.Lock()
	m.stops = append(m.stops, node)
	delete(m.started, node)
	delete(m.ready, node)
	d := m.stopDelay
	m.mu.Unlock()
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *Memory) Probe(ctx context.Context, node string) health.Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, started := m.started[node]
	switch {
	case !started:
		return health.Result{Output: "not running"}
	case m.Dead[node]:
		return health.Result{Permanent: true, Output: "container exited with code 1"}
	}
	r, ok := m.ready[node]
	if ok && !time.Now().Before(r) {
		return health.Result{Healthy: true}
	}
	return health.Result{Output: "connection refused"}
}

func (m *Memory) Policy(node string) health.Policy { return m.PolicyFor(node) }

// Starts counts Start calls.
func (m *Memory) Starts() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.starts
}

// Stops lists the nodes stopped, in order.
func (m *Memory) Stops() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.stops...)
}

// Times returns when node was started and when it became healthy.
func (m *Memory) Times(node string) (started, ready time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.started[node], m.ready[node]
}

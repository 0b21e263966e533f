package openstack

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// computeReadyWait bounds the wait for nova-compute to be able to take a
// server: the scheduler maps a new compute host into cell1 within its
// discover_hosts_in_cells_interval (10 s, nova.conf), after nova-compute
// has registered its service and its resource provider (seconds after its
// start, a minute on a loaded host).
const computeReadyWait = 3 * time.Minute

// ensureComputeReady waits until the compute API lists an enabled, up
// hypervisor: nova-compute registered, its host mapped to a cell, its
// resources reported. Only then can `up` say the cloud boots servers
// (a server created before gets "No valid host").
func (p *postSetup) ensureComputeReady(ctx context.Context) error {
	start := time.Now()
	found := ""
	err := poll(ctx, computeReadyWait, 2*time.Second, func(ctx context.Context) (string, bool, error) {
		all, err := allHypervisors(ctx, p.admin.compute)
		if err != nil {
			return "", false, err
		}
		var states []string
		for _, h := range all {
			if h.State == "up" && h.Status == "enabled" && h.VCPUs > 0 {
				found = fmt.Sprintf("%s (%s, %d vCPUs, %d MiB)", h.HypervisorHostname, h.HypervisorType, h.VCPUs, h.MemoryMB)
				return "", true, nil
			}
			states = append(states, h.HypervisorHostname+" "+h.State+"/"+h.Status)
		}
		if len(all) == 0 {
			return "no hypervisor listed yet (nova-compute not registered or its host not mapped to cell1)", false, nil
		}
		return "hypervisors not ready: " + strings.Join(states, ", "), false, nil
	})
	if err != nil {
		return fmt.Errorf("compute host: %w", err)
	}
	detail := found
	if waited := time.Since(start); waited > time.Second {
		detail += fmt.Sprintf(", after %s", waited.Round(time.Second))
	}
	p.record(Exists, "compute host", detail)
	return nil
}

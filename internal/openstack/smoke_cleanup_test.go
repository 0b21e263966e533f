package openstack

import "testing"

func TestLeftoversLeaveAStacksResourcesToTheStack(t *testing.T) {
	rs := []resource{
		{kind: kindStack, id: "s1", name: "hotstack-smoke-ab12cd-dataplane"},
		{kind: kindRouter, id: "r1", name: "hotstack-smoke-ab12cd-dataplane-router-x1y2"},
		{kind: kindNetwork, id: "n1", name: "hotstack-smoke-ab12cd-network"},
	}
	got := withoutStackResources(rs)
	if len(got) != 2 || got[0].id != "s1" || got[1].id != "n1" {
		t.Errorf("withoutStackResources = %+v, want the stack and the run's own network", got)
	}
}

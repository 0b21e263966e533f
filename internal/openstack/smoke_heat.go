package openstack

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
)

// The few Heat calls the smoke test makes, through gophercloud's service
// client. gophercloud's orchestration/v1/stacks package would parse the
// template with gopkg.in/yaml.v2, a dependency this module does not carry
// for one fixed template; Heat takes the template as a string.

// heatStack is the part of a Heat stack the smoke test reads.
type heatStack struct {
	ID           string `json:"id"`
	Name         string `json:"stack_name"`
	Status       string `json:"stack_status"`
	StatusReason string `json:"stack_status_reason"`
	Outputs      []struct {
		Key   string `json:"output_key"`
		Value any    `json:"output_value"`
	} `json:"outputs"`
}

// heatService is one entry of Heat's service list.
type heatService struct {
	Binary   string `json:"binary"`
	Hostname string `json:"hostname"`
	Status   string `json:"status"`
}

// createStack creates a stack from template and returns its ID. Rollback
// is off so a failed stack stays, with its status reason, for the report.
func createStack(ctx context.Context, c *gophercloud.ServiceClient, name, template string, timeoutMins int) (string, error) {
	return createStackWith(ctx, c, name, template, nil, timeoutMins)
}

// createStackWith is createStack with the template's parameters.
func createStackWith(ctx context.Context, c *gophercloud.ServiceClient, name, template string, params map[string]any, timeoutMins int) (string, error) {
	body := map[string]any{"stack_name": name, "template": template, "timeout_mins": timeoutMins, "disable_rollback": true}
	if params != nil {
		body["parameters"] = params
	}
	var out struct {
		Stack struct {
			ID string `json:"id"`
		} `json:"stack"`
	}
	if _, err := c.Post(ctx, c.ServiceURL("stacks"), body, &out, &gophercloud.RequestOpts{OkCodes: []int{201}}); err != nil {
		return "", fmt.Errorf("create stack %s: %w", name, err)
	}
	return out.Stack.ID, nil
}

// waitStackCreated polls a stack until CREATE_COMPLETE and returns it; a
// CREATE_FAILED stack is an error with Heat's reason.
func waitStackCreated(ctx context.Context, c *gophercloud.ServiceClient, name, id string, timeout time.Duration) (*heatStack, error) {
	var st *heatStack
	err := poll(ctx, timeout, pollInterval, func(ctx context.Context) (string, bool, error) {
		var err error
		st, err = getStack(ctx, c, name, id)
		switch {
		case err != nil:
			return "", false, err
		case st.Status == "CREATE_FAILED":
			return "", false, fmt.Errorf("%s: %s", st.Status, st.StatusReason)
		}
		return st.Status, st.Status == "CREATE_COMPLETE", nil
	})
	return st, err
}

func getStack(ctx context.Context, c *gophercloud.ServiceClient, name, id string) (*heatStack, error) {
	var out struct {
		Stack heatStack `json:"stack"`
	}
	if _, err := c.Get(ctx, c.ServiceURL("stacks", name, id), &out, &gophercloud.RequestOpts{OkCodes: []int{200}}); err != nil {
		return nil, fmt.Errorf("get stack %s: %w", name, err)
	}
	return &out.Stack, nil
}

func deleteStack(ctx context.Context, c *gophercloud.ServiceClient, name, id string) error {
	if _, err := c.Delete(ctx, c.ServiceURL("stacks", name, id), &gophercloud.RequestOpts{OkCodes: []int{204}}); err != nil {
		return fmt.Errorf("delete stack %s: %w", name, err)
	}
	return nil
}

// listStacks lists the project's stacks: the first page only, as a
// project a smoke test runs in holds few stacks.
func listStacks(ctx context.Context, c *gophercloud.ServiceClient) ([]heatStack, error) {
	var out struct {
		Stacks []heatStack `json:"stacks"`
	}
	if _, err := c.Get(ctx, c.ServiceURL("stacks"), &out, &gophercloud.RequestOpts{OkCodes: []int{200}}); err != nil {
		return nil, fmt.Errorf("list stacks: %w", err)
	}
	return out.Stacks, nil
}

// listHeatServices lists every engine worker with its heartbeat state
// (GET /services, admin only).
func listHeatServices(ctx context.Context, c *gophercloud.ServiceClient) ([]heatService, error) {
	var out struct {
		Services []heatService `json:"services"`
	}
	if _, err := c.Get(ctx, c.ServiceURL("services"), &out, &gophercloud.RequestOpts{OkCodes: []int{200}}); err != nil {
		return nil, fmt.Errorf("list orchestration services: %w", err)
	}
	return out.Services, nil
}

// unfinishedResources names the stack's resources that are not complete,
// with Heat's reason: what a stack that did not finish was waiting for.
func unfinishedResources(ctx context.Context, c *gophercloud.ServiceClient, name, id string) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var out struct {
		Resources []struct {
			Name   string `json:"resource_name"`
			Type   string `json:"resource_type"`
			Status string `json:"resource_status"`
			Reason string `json:"resource_status_reason"`
		} `json:"resources"`
	}
	if _, err := c.Get(ctx, c.ServiceURL("stacks", name, id, "resources"), &out, &gophercloud.RequestOpts{OkCodes: []int{200}}); err != nil {
		return "its resources: " + err.Error()
	}
	var waiting []string
	for _, r := range out.Resources {
		if r.Status != "CREATE_COMPLETE" {
			waiting = append(waiting, fmt.Sprintf("%s (%s) %s %s", r.Name, r.Type, r.Status, r.Reason))
		}
	}
	if len(waiting) == 0 {
		return "every resource is complete"
	}
	return "not complete: " + strings.Join(waiting, "; ")
}

package openstack

import (
	"context"
	"fmt"
	"strings"

	bsquotasets "github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/quotasets"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/quotasets"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/quotas"
)

// QuotaValue is one quota limit, by its API key.
type QuotaValue struct {
	Key   string
	Value int
}

// The hotstack project's quotas, as the original sets them.
var (
	ComputeQuotas = []QuotaValue{
		{"cores", 96}, {"ram", 307200}, {"instances", 50},
		{"key_pairs", 10}, {"server_groups", 10}, {"server_group_members", 10},
	}
	NetworkQuotas = []QuotaValue{
		{"network", 20}, {"subnet", 20}, {"port", 100}, {"router", 20},
		{"floatingip", 20}, {"security_group", 20}, {"security_group_rule", 100},
	}
	VolumeQuotas = []QuotaValue{
		{"volumes", 50}, {"snapshots", 20}, {"gigabytes", 1000}, {"per_volume_gigabytes", 500},
	}
)

// quotaDiff lists the wanted values have does not hold, as "key old→new"
// ("key unset→new" when have lacks the key).
func quotaDiff(want []QuotaValue, have map[string]any) []string {
	var out []string
	for _, q := range want {
		v, ok := have[q.Key]
		n, isNum := v.(float64)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s unset→%d", q.Key, q.Value))
		case !isNum:
			out = append(out, fmt.Sprintf("%s %v→%d", q.Key, v, q.Value))
		case int(n) != q.Value:
			out = append(out, fmt.Sprintf("%s %d→%d", q.Key, int(n), q.Value))
		}
	}
	return out
}

func intp(v int) *int { return &v }

// computeQuotaOpts is Nova's update for want; an unknown key is an error.
func computeQuotaOpts(want []QuotaValue) (quotasets.UpdateOpts, error) {
	var o quotasets.UpdateOpts
	err := setQuotas(want, "compute", map[string]**int{"cores": &o.Cores, "ram": &o.RAM, "instances": &o.Instances,
		"key_pairs": &o.KeyPairs, "server_groups": &o.ServerGroups, "server_group_members": &o.ServerGroupMembers})
	return o, err
}

// networkQuotaOpts is Neutron's update for want.
func networkQuotaOpts(want []QuotaValue) (quotas.UpdateOpts, error) {
	var o quotas.UpdateOpts
	err := setQuotas(want, "network", map[string]**int{"network": &o.Network, "subnet": &o.Subnet, "port": &o.Port,
		"router": &o.Router, "floatingip": &o.FloatingIP, "security_group": &o.SecurityGroup,
		"security_group_rule": &o.SecurityGroupRule})
	return o, err
}

// volumeQuotaOpts is Cinder's update for want.
func volumeQuotaOpts(want []QuotaValue) (bsquotasets.UpdateOpts, error) {
	var o bsquotasets.UpdateOpts
	err := setQuotas(want, "volume", map[string]**int{"volumes": &o.Volumes, "snapshots": &o.Snapshots,
		"gigabytes": &o.Gigabytes, "per_volume_gigabytes": &o.PerVolumeGigabytes})
	return o, err
}

// setQuotas sets, for each value of want, the update field its key names
// in fields; a key with no field is an error naming the service.
func setQuotas(want []QuotaValue, service string, fields map[string]**int) error {
	for _, q := range want {
		f, ok := fields[q.Key]
		if !ok {
			return fmt.Errorf("no %s quota %q", service, q.Key)
		}
		*f = intp(q.Value)
	}
	return nil
}

// quotaService is how one service's quotas of a project are read and set.
type quotaService struct {
	name   string
	want   []QuotaValue
	get    func(context.Context) (map[string]any, error)
	update func(context.Context) error
}

// ensureQuotas sets the hotstack project's compute, network and volume
// quotas where they differ.
func (p *postSetup) ensureQuotas(ctx context.Context) error {
	project := p.projectID
	services := []quotaService{
		{"compute", ComputeQuotas,
			func(ctx context.Context) (map[string]any, error) {
				var body struct {
					Set map[string]any `json:"quota_set"`
				}
				err := quotasets.Get(ctx, p.admin.compute, project).ExtractInto(&body)
				return body.Set, err
			},
			func(ctx context.Context) error {
				opts, err := computeQuotaOpts(ComputeQuotas)
				if err != nil {
					return err
				}
				return quotasets.Update(ctx, p.admin.compute, project, opts).Err
			}},
		{"network", NetworkQuotas,
			func(ctx context.Context) (map[string]any, error) {
				var body struct {
					Set map[string]any `json:"quota"`
				}
				err := quotas.Get(ctx, p.admin.network, project).ExtractInto(&body)
				return body.Set, err
			},
			func(ctx context.Context) error {
				opts, err := networkQuotaOpts(NetworkQuotas)
				if err != nil {
					return err
				}
				return quotas.Update(ctx, p.admin.network, project, opts).Err
			}},
		{"volume", VolumeQuotas,
			func(ctx context.Context) (map[string]any, error) {
				var body struct {
					Set map[string]any `json:"quota_set"`
				}
				err := bsquotasets.Get(ctx, p.admin.volume, project).ExtractInto(&body)
				return body.Set, err
			},
			func(ctx context.Context) error {
				opts, err := volumeQuotaOpts(VolumeQuotas)
				if err != nil {
					return err
				}
				return bsquotasets.Update(ctx, p.admin.volume, project, opts).Err
			}},
	}
	for _, s := range services {
		what := fmt.Sprintf("%s quotas of project %s", s.name, HotstackProject)
		have, err := s.get(ctx)
		if err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		diff := quotaDiff(s.want, have)
		if len(diff) == 0 {
			p.record(Exists, what, "")
			continue
		}
		if err := s.update(ctx); err != nil {
			return fmt.Errorf("set %s: %w", what, err)
		}
		p.record(Updated, what, strings.Join(diff, ", "))
	}
	return nil
}

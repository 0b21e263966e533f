package openstack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/routers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
)

// kind is a type of resource a smoke run creates. The kinds are declared
// in the order they must be deleted: the server holds a port on the
// network, the router interface holds the subnet, the subnet the network;
// the rest stand alone.
type kind int

const (
	kindServer kind = iota
	kindRouterInterface
	kindRouter
	kindSubnet
	kindNetwork
	kindImage
	kindFlavor
	kindVolume
	kindStack
)

func (k kind) String() string {
	return [...]string{"server", "router interface", "router", "subnet", "network", "image", "flavor", "volume", "stack"}[k]
}

// resource is something a smoke run created.
type resource struct {
	kind kind
	id   string // a router interface's is its port's
	name string
	// router is the router a router interface belongs to.
	router string
}

// isLeftover tells a resource of an earlier smoke run by its name:
// prefix, a dash, then the run's suffix.
func isLeftover(name, prefix string) bool {
	return strings.HasPrefix(name, prefix+"-") && len(name) > len(prefix)+1
}

// summarize names the kinds of rs in deletion order, counting repeats:
// "server, router interface, network ×2".
func summarize(rs []resource) string {
	count := map[kind]int{}
	for _, r := range rs {
		count[r.kind]++
	}
	var parts []string
	for k := kindServer; k <= kindStack; k++ {
		switch n := count[k]; {
		case n == 1:
			parts = append(parts, k.String())
		case n > 1:
			parts = append(parts, fmt.Sprintf("%s ×%d", k, n))
		}
	}
	return strings.Join(parts, ", ")
}

// byDeletionOrder sorts rs so what holds another resource goes first.
func byDeletionOrder(rs []resource) []resource {
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(a, b resource) int { return int(a.kind) - int(b.kind) })
	return rs
}

// cleanup deletes what this run created and records the cleanup line. It
// runs on a context of its own: a cancelled run must still leave the
// cloud as it found it.
func (s *smoke) cleanup(ctx context.Context) {
	start := time.Now()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*s.o.Timeout)
	defer cancel()
	// A create cut short by the cancellation, or whose answer was lost,
	// may have made something never tracked: look for this run's names
	// among the kinds it tried to create.
	stray, listErr := s.findLeftovers(cctx, s.run, func(k kind) bool { return s.attempted[k] })
	all := withUntracked(s.created, stray)
	c := Check{Name: checkCleanup, Status: Pass, Detail: "nothing to delete"}
	if len(all) > 0 {
		deleted, err := s.deleteAll(cctx, all)
		c.Detail = "deleted " + summarize(deleted)
		if err != nil {
			c.Status, c.Detail = Fail, c.Detail+"; left: "+brief(err)
		}
	}
	if listErr != nil {
		c.Status, c.Detail = Fail, c.Detail+"; could not look for untracked resources: "+brief(listErr)
	}
	c.Duration = time.Since(start)
	s.record(c)
}

// withUntracked adds to tracked what found holds beyond it.
func withUntracked(tracked, found []resource) []resource {
	all := slices.Clone(tracked)
	for _, f := range found {
		if !slices.ContainsFunc(tracked, func(t resource) bool { return t.kind == f.kind && t.id == f.id }) {
			all = append(all, f)
		}
	}
	return all
}

// deleteAll deletes rs in deletion order, going on past failures, and
// returns what is gone plus an error naming each resource that is not.
func (s *smoke) deleteAll(ctx context.Context, rs []resource) ([]resource, error) {
	var deleted []resource
	var errs []error
	for _, r := range byDeletionOrder(rs) {
		if err := s.deleteResource(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", r.kind, r.name, err))
			continue
		}
		deleted = append(deleted, r)
	}
	return deleted, errors.Join(errs...)
}

// notFound is how every API says a resource is gone.
func notFound(err error) bool { return gophercloud.ResponseCodeIs(err, http.StatusNotFound) }

// deleteResource deletes r and waits until the API no longer shows it.
// Already gone counts as deleted.
func (s *smoke) deleteResource(ctx context.Context, r resource) error {
	c := s.clientFor(r.kind)
	if c == nil {
		return errors.New("its service has no endpoint")
	}
	del, look := deletion(c, r)
	if err := del(ctx); err != nil && !notFound(err) {
		return err
	}
	return poll(ctx, s.o.Timeout, pollInterval, func(ctx context.Context) (string, bool, error) {
		state, gone, err := look(ctx)
		if notFound(err) {
			return "", true, nil
		}
		return state, gone, err
	})
}

// clientFor is the client of the service that holds resources of kind k.
func (s *smoke) clientFor(k kind) *gophercloud.ServiceClient {
	switch k {
	case kindServer, kindFlavor:
		return s.clients.compute
	case kindRouterInterface, kindRouter, kindSubnet, kindNetwork:
		return s.clients.network
	case kindImage:
		return s.clients.image
	case kindVolume:
		return s.clients.volume
	default:
		return s.clients.orchestration
	}
}

// lookFunc reports a resource being deleted: its state, whether the API
// counts it as gone (a 404 always does), or a failed deletion.
type lookFunc func(ctx context.Context) (state string, gone bool, err error)

// deletion returns how to delete r through c and how to watch it go.
func deletion(c *gophercloud.ServiceClient, r resource) (func(context.Context) error, lookFunc) {
	// Nova's flavors and Neutron's resources go at once: the look after
	// the delete normally finds nothing.
	stillListed := func(_ any, err error) (string, bool, error) { return "still listed", false, err }
	switch r.kind {
	case kindServer:
		return serverDeletion(c, r)
	case kindVolume:
		return volumeDeletion(c, r)
	case kindStack:
		return stackDeletion(c, r)
	case kindImage:
		return func(ctx context.Context) error { return images.Delete(ctx, c, r.id).ExtractErr() },
			func(ctx context.Context) (string, bool, error) {
				img, err := images.Get(ctx, c, r.id).Extract()
				if err != nil {
					return "", false, err
				}
				return "status " + string(img.Status), img.Status == images.ImageStatusDeleted, nil
			}
	case kindFlavor:
		return func(ctx context.Context) error { return flavors.Delete(ctx, c, r.id).ExtractErr() },
			func(ctx context.Context) (string, bool, error) {
				return stillListed(flavors.Get(ctx, c, r.id).Extract())
			}
	case kindRouterInterface:
		return func(ctx context.Context) error {
				_, err := routers.RemoveInterface(ctx, c, r.router, routers.RemoveInterfaceOpts{PortID: r.id}).Extract()
				return err
			},
			func(ctx context.Context) (string, bool, error) { return stillListed(ports.Get(ctx, c, r.id).Extract()) }
	case kindRouter:
		return func(ctx context.Context) error { return routers.Delete(ctx, c, r.id).ExtractErr() },
			func(ctx context.Context) (string, bool, error) {
				return stillListed(routers.Get(ctx, c, r.id).Extract())
			}
	case kindSubnet:
		return func(ctx context.Context) error { return subnets.Delete(ctx, c, r.id).ExtractErr() },
			func(ctx context.Context) (string, bool, error) {
				return stillListed(subnets.Get(ctx, c, r.id).Extract())
			}
	default: // kindNetwork
		return func(ctx context.Context) error { return networks.Delete(ctx, c, r.id).ExtractErr() },
			func(ctx context.Context) (string, bool, error) {
				return stillListed(networks.Get(ctx, c, r.id).Extract())
			}
	}
}

func serverDeletion(c *gophercloud.ServiceClient, r resource) (func(context.Context) error, lookFunc) {
	return func(ctx context.Context) error { return servers.Delete(ctx, c, r.id).ExtractErr() },
		func(ctx context.Context) (string, bool, error) {
			srv, err := servers.Get(ctx, c, r.id).Extract()
			if err != nil {
				return "", false, err
			}
			return fmt.Sprintf("status %s (%s)", srv.Status, srv.TaskState), srv.Status == "DELETED" || srv.Status == "SOFT_DELETED", nil
		}
}

// volumeDeletion deletes a volume, forcing it (admin only) when Cinder
// refuses because the volume is stuck, e.g. "creating" with no backend.
func volumeDeletion(c *gophercloud.ServiceClient, r resource) (func(context.Context) error, lookFunc) {
	return func(ctx context.Context) error {
			err := volumes.Delete(ctx, c, r.id, volumes.DeleteOpts{Cascade: true}).ExtractErr()
			if gophercloud.ResponseCodeIs(err, http.StatusBadRequest) {
				err = volumes.ForceDelete(ctx, c, r.id).ExtractErr()
			}
			return err
		},
		func(ctx context.Context) (string, bool, error) {
			v, err := volumes.Get(ctx, c, r.id).Extract()
			switch {
			case err != nil:
				return "", false, err
			case v.Status == "error_deleting":
				return "", false, errors.New("status error_deleting (see cinder-volume's log)")
			}
			return "status " + v.Status, false, nil
		}
}

// stackDeletion deletes a stack. Heat may still show a deleted stack by
// its ID, as DELETE_COMPLETE.
func stackDeletion(c *gophercloud.ServiceClient, r resource) (func(context.Context) error, lookFunc) {
	return func(ctx context.Context) error { return deleteStack(ctx, c, r.name, r.id) },
		func(ctx context.Context) (string, bool, error) {
			st, err := getStack(ctx, c, r.name, r.id)
			switch {
			case err != nil:
				return "", false, err
			case st.Status == "DELETE_FAILED":
				return "", false, fmt.Errorf("DELETE_FAILED: %s", st.StatusReason)
			}
			return st.Status, st.Status == "DELETE_COMPLETE", nil
		}
}

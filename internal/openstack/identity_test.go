package openstack

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"golang.org/x/sync/errgroup"
)

// passwordMemory is a PasswordMemory in a map.
type passwordMemory struct {
	mu sync.Mutex
	m  map[string]string
}

func (p *passwordMemory) Holds(id, pw string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[id] == pw
}

func (p *passwordMemory) Remember(id, pw string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[id] = pw
}

// TestEnsureUserTrustsRememberedPasswords: a user whose password the
// memory holds is not logged in as (each login is a bcrypt in Keystone);
// a new password is still set, and remembered; without a memory every
// call checks with a login.
func TestEnsureUserTrustsRememberedPasswords(t *testing.T) {
	f := newFakeCloud(t)
	id, err := Login(t.Context(), Credentials{AuthURL: f.srv.URL + "/v3", Username: "admin", Password: "adm-pw", Project: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	mem := &passwordMemory{m: map[string]string{}}
	id.RememberPasswords(mem)
	logins := func() int {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.passwordLogins
	}
	writes := func() []string {
		f.mu.Lock()
		defer f.mu.Unlock()
		return append([]string(nil), f.writes...)
	}
	ensure := func(pw string) string {
		t.Helper()
		u, err := id.EnsureUser(t.Context(), "glance", pw, DefaultDomain)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}

	user := ensure("one")
	if !mem.Holds(user, "one") {
		t.Fatalf("a created user's password is not remembered: %v", mem.m)
	}
	before, wrote := logins(), len(writes())
	ensure("one")
	if logins() != before || len(writes()) != wrote {
		t.Fatalf("a remembered password was checked or written: %d logins, writes %v", logins()-before, writes()[wrote:])
	}

	ensure("two")
	if w := writes()[wrote:]; len(w) != 1 || w[0] != "PATCH /v3/users/"+user {
		t.Fatalf("a changed password was not set: writes %v", w)
	}
	if !mem.Holds(user, "two") {
		t.Fatalf("the new password is not remembered: %v", mem.m)
	}

	id.RememberPasswords(nil)
	before = logins()
	ensure("two")
	if logins() != before+1 {
		t.Fatalf("without a memory the password was not checked by a login (%d logins)", logins()-before)
	}
}

// TestRegisterConverges: a registration makes the service user, its roles
// on the service project, the catalog entry and one endpoint per
// interface; the same registration again writes nothing and asks for the
// shared roles and project no more; a changed URL updates that endpoint
// alone.
func TestRegisterConverges(t *testing.T) {
	f := newFakeCloud(t)
	id, err := Login(t.Context(), Credentials{AuthURL: f.srv.URL + "/v3", Username: "admin", Password: "adm-pw", Project: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	writes := func() []string {
		f.mu.Lock()
		defer f.mu.Unlock()
		return append([]string(nil), f.writes...)
	}
	reg := func(svc, typ, public string) Registration {
		return Registration{Service: svc, Type: typ, Region: "RegionOne", User: svc, Password: svc + "-pw",
			Endpoints: map[gophercloud.Availability]string{gophercloud.AvailabilityPublic: public,
				gophercloud.AvailabilityInternal: "http://" + svc + ":1/", gophercloud.AvailabilityAdmin: "http://" + svc + ":1/"}}
	}
	if err := id.Register(t.Context(), reg("glance", "image", "http://glance.example:9292/")); err != nil {
		t.Fatal(err)
	}
	if err := id.Register(t.Context(), reg("placement", "placement", "http://placement.example:8778/")); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	nEndpoints, nServices := len(f.endpoints), len(f.services)
	assigned := len(f.assignments)
	f.mu.Unlock()
	if nEndpoints != 6 || nServices != 2 || assigned != 1+4 {
		t.Fatalf("%d endpoints, %d services, %d role assignments; want 6, 2, 5", nEndpoints, nServices, assigned)
	}
	wrote := len(writes())
	if err := id.Register(t.Context(), reg("glance", "image", "http://glance.example:9292/")); err != nil {
		t.Fatal(err)
	}
	for _, w := range writes()[wrote:] {
		if !strings.HasPrefix(w, "PUT /v3/projects/") { // role assignments: idempotent PUTs, never read first
			t.Errorf("an unchanged registration wrote %s", w)
		}
	}
	wrote = len(writes())
	if err := id.Register(t.Context(), reg("glance", "image", "http://glance.example:9393/")); err != nil {
		t.Fatal(err)
	}
	var patched []string
	for _, w := range writes()[wrote:] {
		if strings.HasPrefix(w, "PATCH") || strings.HasPrefix(w, "POST") {
			patched = append(patched, w)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(patched) != 1 || !strings.HasPrefix(patched[0], "PATCH /v3/endpoints/") || len(f.endpoints) != 6 {
		t.Fatalf("a changed public URL wrote %v (%d endpoints); want one endpoint updated", patched, len(f.endpoints))
	}
	for _, e := range f.endpoints {
		if e["interface"] == "public" && e["service_id"] == f.services[0]["id"] && e["url"] != "http://glance.example:9393/" {
			t.Errorf("glance's public endpoint is %v", e["url"])
		}
	}
}

// TestSideBySideRegistrationsCreateSharedThingsOnce: services registered
// at the same time (as up starts them) make the service project and the
// roles once; before, each found none and created it, and Keystone logged
// every conflict but one as an ERROR with its traceback.
func TestSideBySideRegistrationsCreateSharedThingsOnce(t *testing.T) {
	f := newFakeCloud(t)
	// A project list waits (up to a while) for a second one, so side by
	// side callers are surely looking at once, as Keystone's slower
	// answers make them in a real up.
	var mu sync.Mutex
	lists, both := 0, make(chan struct{})
	inner := f.srv.Config.Handler
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/v3/projects" {
			mu.Lock()
			if lists++; lists == 2 {
				close(both)
			}
			mu.Unlock()
			select {
			case <-both:
			case <-time.After(300 * time.Millisecond):
			}
		}
		inner.ServeHTTP(w, r)
	})
	id, err := Login(t.Context(), Credentials{AuthURL: f.srv.URL + "/v3", Username: "admin", Password: "adm-pw", Project: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	var g errgroup.Group
	for _, svc := range []string{"glance", "placement", "nova", "cinder"} {
		g.Go(func() error {
			return id.Register(t.Context(), Registration{Service: svc, User: svc, Password: svc + "-pw"})
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	created := map[string]int{}
	for _, w := range f.writes {
		if w == "POST /v3/projects" || w == "POST /v3/roles" {
			created[w]++
		}
	}
	if created["POST /v3/projects"] != 1 || created["POST /v3/roles"] != 1 {
		t.Errorf("created %v; want the service project and the service role once each", created)
	}
}

// TestPostSetupTrustsRememberedSecrets: with a memory, a post-setup after
// one that saw the hotstack user's password and the application
// credential's secret work tries neither: it logs in as the admin, and as
// the user for what the user owns.
func TestPostSetupTrustsRememberedSecrets(t *testing.T) {
	f := newFakeCloud(t)
	var out bytes.Buffer
	o := fakeOptions(f, t.TempDir(), &out)
	run := func() (passwords, appCreds int) {
		t.Helper()
		f.mu.Lock()
		p0, a0 := f.passwordLogins, f.appCredLogins
		f.mu.Unlock()
		if _, err := PostSetup(t.Context(), o); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.passwordLogins - p0, f.appCredLogins - a0
	}
	run() // creates everything
	if p, a := run(); p != 3 || a != 1 {
		t.Fatalf("without a memory: %d password and %d credential logins; want 3 (the admin, the user's check and session) and 1", p, a)
	}
	o.Known = &passwordMemory{m: map[string]string{}}
	run() // checks each once more, and remembers
	if p, a := run(); p != 2 || a != 0 {
		t.Fatalf("with a memory: %d password and %d credential logins; want 2 (the admin's and the user's sessions) and 0", p, a)
	}
}

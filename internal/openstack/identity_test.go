package openstack

import (
	"sync"
	"testing"
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

package openstack

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeCloud is just enough of Keystone, Nova, Neutron, Cinder and Glance,
// in memory, for post-setup: it keeps what it is told, lists it back with
// the filters post-setup uses, and records every write.
type fakeCloud struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	writes []string // "METHOD /path" of every request that changes something
	seq    int
	tokens map[string][2]string // token -> user ID, project ID

	projects, users, roles  []doc
	services, endpoints     []doc
	assignments             map[string]bool // project/user/role
	appCreds                []doc           // with user_id and secret
	quotas                  map[string]doc  // service/project -> values
	flavors, keypairs       []doc           // keypairs with user_id
	networks, subnets       []doc
	routers, ports, groups  []doc
	images                  []doc
	deniedPasswords         map[string]bool // user IDs whose password check fails once
	passwordLogins          int             // password logins tried, a bcrypt each in Keystone
	appCredLogins           int             // application credential logins tried, the same
	duplicateRuleConflicts  int
	hideRules               bool // list groups without their rules: creates then conflict
	lazyDefaultGroupCreated []string
}

type doc = map[string]any

func newFakeCloud(t *testing.T) *fakeCloud {
	f := &fakeCloud{t: t, tokens: map[string][2]string{}, assignments: map[string]bool{}, quotas: map[string]doc{},
		deniedPasswords: map[string]bool{}}
	f.projects = []doc{{"id": "p-admin", "name": "admin", "domain_id": "default"}}
	f.users = []doc{{"id": "u-admin", "name": "admin", "domain_id": "default", "password": "adm-pw"}}
	f.roles = []doc{{"id": "r-admin", "name": "admin"}, {"id": "r-member", "name": "member"}}
	f.assignments["p-admin/u-admin/r-admin"] = true
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCloud) id(kind string) string { f.seq++; return fmt.Sprintf("%s-%d", kind, f.seq) }

func (f *fakeCloud) reply(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if body != nil {
		_ = json.NewEncoder(w).Encode(body)
	}
}

// filter returns the items whose fields equal every given query value.
func filter(items []doc, q url.Values, fields ...string) []doc {
	out := []doc{}
	for _, it := range items {
		ok := true
		for _, k := range fields {
			if v := q.Get(k); v != "" && fmt.Sprint(it[k]) != v {
				ok = false
			}
		}
		if ok {
			out = append(out, it)
		}
	}
	return out
}

func find(items []doc, id string) doc {
	for _, it := range items {
		if it["id"] == id {
			return it
		}
	}
	return nil
}

func remove(items []doc, id string) []doc {
	return slices.DeleteFunc(items, func(d doc) bool { return d["id"] == id })
}

// public hides the fields a real API never shows.
func public(d doc, hidden ...string) doc {
	out := doc{}
	for k, v := range d {
		if !slices.Contains(hidden, k) {
			out[k] = v
		}
	}
	return out
}

func (f *fakeCloud) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var body doc
	if r.Body != nil && !strings.HasSuffix(r.URL.Path, "/file") {
		data, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(data, &body)
	}
	path := r.URL.Path
	if r.Method != http.MethodGet && r.Method != http.MethodHead && path != "/v3/auth/tokens" {
		f.writes = append(f.writes, r.Method+" "+path)
	}
	caller := f.tokens[r.Header.Get("X-Auth-Token")]
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(seg) == 1 && (seg[0] == "network" || seg[0] == "image"):
		// Version discovery of an unversioned endpoint.
		id := map[string]string{"network": "v2.0", "image": "v2.15"}[seg[0]]
		f.reply(w, 200, doc{"versions": []doc{{"id": id, "status": "CURRENT"}}})
	case path == "/v3/auth/tokens" && r.Method == http.MethodPost:
		f.token(w, body)
	case seg[0] == "v3":
		f.keystone(w, r, seg[1:], body)
	case seg[0] == "compute":
		f.nova(w, r, seg[1:], body, caller)
	case seg[0] == "network":
		f.neutron(w, r, seg[2:], body, caller)
	case seg[0] == "volume":
		f.quota(w, r, "volume/"+seg[len(seg)-1], "quota_set", body)
	case seg[0] == "image":
		f.glance(w, r, seg[2:], body)
	default:
		f.reply(w, http.StatusNotFound, doc{"error": "no route " + path})
	}
}

func (f *fakeCloud) catalog(project string) []doc {
	ep := func(typ, url string) doc {
		return doc{"type": typ, "name": typ, "endpoints": []doc{{"interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": url}}}
	}
	u := f.srv.URL
	return []doc{ep("identity", u+"/v3"), ep("compute", u+"/compute/v2.1"), ep("network", u+"/network"),
		ep("volumev3", u+"/volume/v3/"+project), ep("image", u+"/image")}
}

func (f *fakeCloud) token(w http.ResponseWriter, body doc) {
	auth, _ := body["auth"].(doc)
	identity, _ := auth["identity"].(doc)
	methods, _ := identity["methods"].([]any)
	var user, project doc
	switch {
	case len(methods) == 1 && methods[0] == "password":
		f.passwordLogins++
		u := identity["password"].(doc)["user"].(doc)
		for _, it := range f.users {
			if (it["id"] == u["id"] || it["name"] == u["name"]) && it["password"] == u["password"] && !f.deniedPasswords[it["id"].(string)] {
				user = it
			}
		}
		if scope, ok := auth["scope"].(doc); ok && user != nil {
			name := scope["project"].(doc)["name"]
			for _, p := range f.projects {
				if p["name"] == name {
					project = p
				}
			}
			if project == nil {
				user = nil
			}
		}
	case len(methods) == 1 && methods[0] == "application_credential":
		f.appCredLogins++
		ac := identity["application_credential"].(doc)
		for _, c := range f.appCreds {
			if c["id"] == ac["id"] && c["secret"] == ac["secret"] {
				user = find(f.users, c["user_id"].(string))
				project = find(f.projects, c["project_id"].(string))
			}
		}
	}
	if user == nil {
		f.reply(w, http.StatusUnauthorized, doc{"error": doc{"code": 401, "message": "The request you have made requires authentication."}})
		return
	}
	tok := f.id("tok")
	tokenDoc := doc{"user": doc{"id": user["id"], "name": user["name"], "domain": doc{"id": "default", "name": "Default"}}}
	if project != nil {
		f.tokens[tok] = [2]string{user["id"].(string), project["id"].(string)}
		tokenDoc["project"] = doc{"id": project["id"], "name": project["name"], "domain": doc{"id": "default", "name": "Default"}}
		tokenDoc["catalog"] = f.catalog(project["id"].(string))
	}
	w.Header().Set("X-Subject-Token", tok)
	f.reply(w, http.StatusCreated, doc{"token": tokenDoc})
}

func (f *fakeCloud) keystone(w http.ResponseWriter, r *http.Request, seg []string, body doc) {
	q := r.URL.Query()
	switch {
	case r.Method == "GET" && len(seg) == 1 && seg[0] == "projects":
		f.reply(w, 200, doc{"projects": filter(f.projects, q, "name", "domain_id")})
	case r.Method == "POST" && len(seg) == 1 && seg[0] == "projects":
		p := body["project"].(doc)
		p["id"] = f.id("p")
		f.projects = append(f.projects, p)
		f.reply(w, 201, doc{"project": p})
	case r.Method == "GET" && len(seg) == 1 && seg[0] == "users":
		out := []doc{}
		for _, u := range filter(f.users, q, "name", "domain_id") {
			out = append(out, public(u, "password"))
		}
		f.reply(w, 200, doc{"users": out})
	case r.Method == "POST" && len(seg) == 1 && seg[0] == "users":
		u := body["user"].(doc)
		u["id"] = f.id("u")
		f.users = append(f.users, u)
		f.reply(w, 201, doc{"user": public(u, "password")})
	case r.Method == "PATCH" && len(seg) == 2 && seg[0] == "users":
		u := find(f.users, seg[1])
		for k, v := range body["user"].(doc) {
			u[k] = v
		}
		delete(f.deniedPasswords, seg[1])
		f.reply(w, 200, doc{"user": public(u, "password")})
	case r.Method == "GET" && len(seg) == 1 && seg[0] == "roles":
		f.reply(w, 200, doc{"roles": filter(f.roles, q, "name")})
	case r.Method == "POST" && len(seg) == 1 && seg[0] == "roles":
		role := body["role"].(doc)
		role["id"] = f.id("r")
		f.roles = append(f.roles, role)
		f.reply(w, 201, doc{"role": role})
	case r.Method == "GET" && len(seg) == 1 && seg[0] == "services":
		f.reply(w, 200, doc{"services": filter(f.services, q, "type", "name")})
	case r.Method == "POST" && len(seg) == 1 && seg[0] == "services":
		svc := body["service"].(doc)
		svc["id"] = f.id("s")
		f.services = append(f.services, svc)
		f.reply(w, 201, doc{"service": svc})
	case r.Method == "GET" && len(seg) == 1 && seg[0] == "endpoints":
		f.reply(w, 200, doc{"endpoints": filter(f.endpoints, q, "service_id", "interface", "region_id")})
	case r.Method == "POST" && len(seg) == 1 && seg[0] == "endpoints":
		e := body["endpoint"].(doc)
		e["id"], e["region_id"] = f.id("e"), e["region"]
		f.endpoints = append(f.endpoints, e)
		f.reply(w, 201, doc{"endpoint": e})
	case r.Method == "PATCH" && len(seg) == 2 && seg[0] == "endpoints":
		e := find(f.endpoints, seg[1])
		for k, v := range body["endpoint"].(doc) {
			e[k] = v
		}
		f.reply(w, 200, doc{"endpoint": e})
	case len(seg) == 6 && seg[0] == "projects" && seg[2] == "users" && seg[4] == "roles":
		key := seg[1] + "/" + seg[3] + "/" + seg[5]
		switch r.Method {
		case "HEAD":
			if f.assignments[key] {
				w.WriteHeader(204)
			} else {
				w.WriteHeader(404)
			}
		case "PUT":
			f.assignments[key] = true
			w.WriteHeader(204)
		}
	case len(seg) >= 3 && seg[0] == "users" && seg[2] == "application_credentials":
		f.appCredentials(w, r, seg, body)
	default:
		f.reply(w, 404, doc{"error": doc{"message": "no keystone route " + r.URL.Path}})
	}
}

func (f *fakeCloud) appCredentials(w http.ResponseWriter, r *http.Request, seg []string, body doc) {
	userID := seg[1]
	mine := filter(f.appCreds, url.Values{"user_id": {userID}}, "user_id")
	switch {
	case r.Method == "GET" && len(seg) == 3:
		out := []doc{}
		for _, c := range filter(mine, r.URL.Query(), "name") {
			out = append(out, public(c, "secret"))
		}
		f.reply(w, 200, doc{"application_credentials": out})
	case r.Method == "POST" && len(seg) == 3:
		c := body["application_credential"].(doc)
		if len(filter(mine, url.Values{"name": {fmt.Sprint(c["name"])}}, "name")) > 0 {
			f.reply(w, 409, doc{"error": doc{"message": "duplicate name"}})
			return
		}
		caller := f.tokens[r.Header.Get("X-Auth-Token")]
		c["id"], c["secret"], c["user_id"], c["project_id"] = f.id("ac"), f.id("secret"), userID, caller[1]
		f.appCreds = append(f.appCreds, c)
		f.reply(w, 201, doc{"application_credential": c})
	case r.Method == "DELETE" && len(seg) == 4:
		f.appCreds = remove(f.appCreds, seg[3])
		w.WriteHeader(204)
	}
}

// quota serves GET and PUT of one service's quotas of a project.
func (f *fakeCloud) quota(w http.ResponseWriter, r *http.Request, key, wrapper string, body doc) {
	q, ok := f.quotas[key]
	if !ok {
		q = doc{"cores": 20, "ram": 51200, "instances": 10, "key_pairs": 100, "server_groups": 10, "server_group_members": 10,
			"network": 100, "subnet": 100, "port": 500, "router": 10, "floatingip": 50, "security_group": 10, "security_group_rule": 100,
			"volumes": 10, "snapshots": 10, "gigabytes": 1000, "per_volume_gigabytes": -1}
		f.quotas[key] = q
	}
	if r.Method == "PUT" {
		for k, v := range body[wrapper].(doc) {
			q[k] = v
		}
	}
	f.reply(w, 200, doc{wrapper: q})
}

func (f *fakeCloud) nova(w http.ResponseWriter, r *http.Request, seg []string, body doc, caller [2]string) {
	seg = seg[1:] // v2.1
	switch {
	case r.Method == "GET" && len(seg) == 2 && seg[0] == "os-hypervisors" && seg[1] == "detail":
		f.reply(w, 200, doc{"hypervisors": []doc{{"id": "1", "hypervisor_hostname": "fake", "hypervisor_type": "QEMU",
			"state": "up", "status": "enabled", "vcpus": 2, "memory_mb": 24000, "hypervisor_version": 7002000}}})
	case seg[0] == "os-quota-sets":
		f.quota(w, r, "compute/"+seg[1], "quota_set", body)
	case r.Method == "GET" && len(seg) == 2 && seg[0] == "flavors" && seg[1] == "detail":
		f.reply(w, 200, doc{"flavors": f.flavors})
	case r.Method == "POST" && len(seg) == 1 && seg[0] == "flavors":
		fl := body["flavor"].(doc)
		fl["id"] = f.id("fl")
		f.flavors = append(f.flavors, fl)
		f.reply(w, 200, doc{"flavor": fl})
	case r.Method == "DELETE" && len(seg) == 2 && seg[0] == "flavors":
		f.flavors = remove(f.flavors, seg[1])
		w.WriteHeader(202)
	case seg[0] == "os-keypairs":
		var mine doc
		for _, k := range f.keypairs {
			if k["user_id"] == caller[0] && (len(seg) < 2 || k["name"] == seg[1]) {
				mine = k
			}
		}
		switch r.Method {
		case "GET":
			if mine == nil {
				f.reply(w, 404, doc{"itemNotFound": doc{"message": "Keypair not found"}})
				return
			}
			f.reply(w, 200, doc{"keypair": mine})
		case "POST":
			kp := body["keypair"].(doc)
			kp["id"], kp["user_id"] = f.id("kp"), caller[0]
			f.keypairs = append(f.keypairs, kp)
			f.reply(w, 200, doc{"keypair": kp})
		case "DELETE":
			f.keypairs = remove(f.keypairs, mine["id"].(string))
			w.WriteHeader(202)
		}
	default:
		f.reply(w, 404, doc{"itemNotFound": doc{"message": "no nova route " + r.URL.Path}})
	}
}

func (f *fakeCloud) neutron(w http.ResponseWriter, r *http.Request, seg []string, body doc, caller [2]string) {
	q := r.URL.Query()
	collections := map[string]*[]doc{"networks": &f.networks, "subnets": &f.subnets, "routers": &f.routers}
	switch {
	case seg[0] == "quotas":
		f.quota(w, r, "network/"+seg[1], "quota", body)
	case seg[0] == "security-groups" && r.Method == "GET":
		project := q.Get("project_id")
		if project == "" {
			project = caller[1]
		}
		if project == caller[1] && len(filter(f.groups, url.Values{"project_id": {project}}, "project_id")) == 0 {
			// Neutron makes a project's default group when it lists.
			f.groups = append(f.groups, doc{"id": f.id("sg"), "name": "default", "project_id": project, "security_group_rules": []any{}})
			f.lazyDefaultGroupCreated = append(f.lazyDefaultGroupCreated, project)
		}
		groups := filter(f.groups, q, "name", "project_id")
		if f.hideRules {
			for i, g := range groups {
				groups[i] = public(g, "security_group_rules")
			}
		}
		f.reply(w, 200, doc{"security_groups": groups})
	case seg[0] == "security-group-rules" && r.Method == "POST":
		rule := body["security_group_rule"].(doc)
		sg := find(f.groups, rule["security_group_id"].(string))
		for _, have := range sg["security_group_rules"].([]any) {
			h := have.(doc)
			if h["protocol"] == rule["protocol"] && fmt.Sprint(h["port_range_min"]) == fmt.Sprint(rule["port_range_min"]) {
				f.duplicateRuleConflicts++
				f.reply(w, 409, doc{"NeutronError": doc{"message": "Security group rule already exists."}})
				return
			}
		}
		rule["id"] = f.id("rule")
		sg["security_group_rules"] = append(sg["security_group_rules"].([]any), rule)
		f.reply(w, 201, doc{"security_group_rule": rule})
	case seg[0] == "ports" && r.Method == "GET":
		out := []doc{}
		for _, p := range filter(f.ports, q, "device_id", "network_id") {
			if want := strings.TrimPrefix(q.Get("fixed_ips"), "subnet_id="); want != "" {
				if p["fixed_ips"].([]any)[0].(doc)["subnet_id"] != want {
					continue
				}
			}
			out = append(out, p)
		}
		f.reply(w, 200, doc{"ports": out})
	case seg[0] == "routers" && len(seg) == 3 && seg[2] == "add_router_interface":
		subnet := find(f.subnets, body["subnet_id"].(string))
		port := doc{"id": f.id("port"), "device_id": seg[1], "network_id": subnet["network_id"],
			"fixed_ips": []any{doc{"subnet_id": subnet["id"], "ip_address": "192.168.100.1"}}}
		f.ports = append(f.ports, port)
		f.reply(w, 200, doc{"id": seg[1], "subnet_id": subnet["id"], "port_id": port["id"]})
	case collections[seg[0]] != nil:
		coll, kind := collections[seg[0]], strings.TrimSuffix(seg[0], "s")
		switch {
		case r.Method == "GET" && len(seg) == 1:
			f.reply(w, 200, doc{seg[0]: filter(*coll, q, "name", "network_id")})
		case r.Method == "POST" && len(seg) == 1:
			item := body[kind].(doc)
			item["id"] = f.id(kind)
			if kind == "network" {
				item["shared"] = item["shared"] == true
				item["router:external"] = item["router:external"] == true
			}
			if kind == "subnet" {
				if _, ok := item["allocation_pools"]; !ok {
					item["allocation_pools"] = []any{doc{"start": "192.168.100.2", "end": "192.168.100.254"}}
				}
				if _, ok := item["gateway_ip"]; !ok {
					item["gateway_ip"] = "192.168.100.1"
				}
			}
			*coll = append(*coll, item)
			f.reply(w, 201, doc{kind: item})
		case r.Method == "PUT" && len(seg) == 2:
			item := find(*coll, seg[1])
			for k, v := range body[kind].(doc) {
				item[k] = v
			}
			f.reply(w, 200, doc{kind: item})
		}
	default:
		f.reply(w, 404, doc{"NeutronError": doc{"message": "no neutron route " + r.URL.Path}})
	}
}

func (f *fakeCloud) glance(w http.ResponseWriter, r *http.Request, seg []string, body doc) {
	switch {
	case r.Method == "GET" && len(seg) == 1:
		f.reply(w, 200, doc{"images": filter(f.images, r.URL.Query(), "name")})
	case r.Method == "POST" && len(seg) == 1:
		body["id"], body["status"] = f.id("img"), "queued"
		f.images = append(f.images, body)
		f.reply(w, 201, body)
	case r.Method == "PUT" && len(seg) == 3 && seg[2] == "file":
		data, _ := io.ReadAll(r.Body)
		img := find(f.images, seg[1])
		sum := md5.Sum(data)
		img["status"], img["size"], img["checksum"] = "active", len(data), hex.EncodeToString(sum[:])
		w.WriteHeader(204)
	case r.Method == "GET" && len(seg) == 2:
		f.reply(w, 200, find(f.images, seg[1]))
	case r.Method == "DELETE" && len(seg) == 2:
		f.images = remove(f.images, seg[1])
		w.WriteHeader(204)
	default:
		f.reply(w, 404, doc{"message": "no glance route " + r.URL.Path})
	}
}

func (f *fakeCloud) takeWrites() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.writes
	f.writes = nil
	return w
}

func fakeOptions(f *fakeCloud, dir string, out io.Writer) PostSetupOptions {
	disk := filepath.Join(dir, "guest.img")
	_ = os.WriteFile(disk, []byte("disk"), 0o600)
	return PostSetupOptions{
		Admin:           Credentials{AuthURL: f.srv.URL + "/v3", Username: "admin", Password: "adm-pw", Project: "admin"},
		Region:          "RegionOne",
		UserPassword:    "hs-pw-kept",
		ProviderCIDR:    "172.31.0.128/25",
		Gateway:         "172.31.0.129",
		PublicKey:       "ssh-ed25519 AAAAC3Nza me@host",
		PublicKeyPath:   "/home/me/.ssh/id_ed25519.pub",
		CloudSecretFile: filepath.Join(dir, "etc/hotstack-os/cloud-secret.yaml"),
		CloudsFile:      filepath.Join(dir, "etc/openstack/clouds.yaml"),
		Images:          []ImageSpec{{Name: "hotstack-os-guest", File: disk, DiskFormat: "raw", Properties: map[string]string{"hw_disk_bus": "virtio"}}},
		Out:             out,
	}
}

// The first run makes everything; the second writes nothing, to the cloud
// or to disk, and says so on every line.
func TestPostSetupConverges(t *testing.T) {
	f := newFakeCloud(t)
	dir := t.TempDir()
	var out bytes.Buffer
	o := fakeOptions(f, dir, &out)

	rep, err := PostSetup(t.Context(), o)
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, out.String())
	}
	first := out.String()
	if rep.Count(Created) == 0 || rep.Count(Skipped) != 0 {
		t.Fatalf("first run: %s\n%s", rep.Summary(), first)
	}
	for _, line := range []string{
		"created  project hotstack",
		"created  user hotstack",
		"created  role member of user hotstack on project hotstack",
		"created  file " + o.CloudsFile,
		"updated  compute quotas of project hotstack: cores 20→96, ram 51200→307200, instances 10→50, key_pairs 100→10",
		"updated  network quotas of project hotstack: network 100→20",
		"updated  volume quotas of project hotstack: volumes 10→50, snapshots 10→20, per_volume_gigabytes -1→500",
		"created  flavor hotstack.small: 1 vCPU, 2048 MiB, 20 GB",
		"created  flavor hotstack.tiny: 1 vCPU, 256 MiB, 1 GB",
		"created  network public: shared, external, flat on physical network provider",
		"created  subnet public-subnet: 172.31.0.128/25, gateway 172.31.0.129, pool 172.31.0.130-172.31.0.223, no DHCP",
		"created  subnet private-subnet: 192.168.100.0/24, dns 172.31.0.129",
		"created  router router1: gateway on network public",
		"created  interface of router router1 on subnet private-subnet",
		"created  rule ingress tcp 22 from 0.0.0.0/0 in security group default of project admin",
		"created  rule ingress icmp from 0.0.0.0/0 in security group default of project hotstack",
		"created  keypair hotstack of user hotstack: from /home/me/.ssh/id_ed25519.pub",
		"created  application credential hotstack-cred",
		"created  file " + o.CloudSecretFile,
		"created  image hotstack-os-guest",
	} {
		if !strings.Contains(first, line) {
			t.Errorf("first run lacks %q", line)
		}
	}
	if len(f.lazyDefaultGroupCreated) != 2 {
		t.Errorf("default groups made for %v, want admin and hotstack", f.lazyDefaultGroupCreated)
	}
	checkFiles(t, f, o)
	f.takeWrites()

	before := snapshot(t, dir)
	out.Reset()
	rep, err = PostSetup(t.Context(), o)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out.String())
	}
	if w := f.takeWrites(); len(w) > 0 {
		t.Errorf("second run wrote to the cloud: %q\n%s", w, out.String())
	}
	if rep.Changed() || rep.Summary() != fmt.Sprintf("0 created, %d unchanged", len(rep.Changes)) {
		t.Errorf("second run: %s\n%s", rep.Summary(), out.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(line, "exists   ") {
			t.Errorf("second run line %q", line)
		}
	}
	if after := snapshot(t, dir); !maps2Equal(before, after) {
		t.Error("second run rewrote local files")
	}
	secrets := []string{"adm-pw", "hs-pw-kept", f.appCreds[0]["secret"].(string)}
	for _, s := range secrets {
		if strings.Contains(first+out.String(), s) {
			t.Errorf("output holds secret %q", s)
		}
	}
}

// checkFiles reads back clouds.yaml and cloud-secret.yaml.
func checkFiles(t *testing.T, f *fakeCloud, o PostSetupOptions) {
	t.Helper()
	for _, p := range []string{o.CloudsFile, o.CloudSecretFile} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v", p, err, fi.Mode())
		}
	}
	data, _ := os.ReadFile(o.CloudSecretFile)
	s, err := ParseCloudSecret(data)
	if err != nil || len(f.appCreds) != 1 || s.ApplicationCredentialID != f.appCreds[0]["id"] || s.ApplicationCredentialSecret != f.appCreds[0]["secret"] ||
		s.Interface != "internal" || s.AuthType != "v3applicationcredential" || s.RegionName != "RegionOne" {
		t.Errorf("cloud-secret %+v, %v; credentials %v", s, err, f.appCreds)
	}
	clouds, _ := os.ReadFile(o.CloudsFile)
	if !strings.Contains(string(clouds), "password: hs-pw-kept") || !strings.Contains(string(clouds), "password: adm-pw") {
		t.Errorf("clouds.yaml:\n%s", clouds)
	}
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			data, _ := os.ReadFile(p)
			m[p] = fmt.Sprintf("%s %v %v", data, fi.Mode(), fi.ModTime().UnixNano())
		}
		return err
	})
	return m
}

func maps2Equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A cloud that drifted is brought back: the user's password, a lost
// cloud-secret.yaml, a flavor, a subnet's pool, a router without its
// interface, a keypair with another key.
func TestPostSetupRepairs(t *testing.T) {
	f := newFakeCloud(t)
	dir := t.TempDir()
	var out bytes.Buffer
	o := fakeOptions(f, dir, &out)
	if _, err := PostSetup(t.Context(), o); err != nil {
		t.Fatalf("first run: %v\n%s", err, out.String())
	}
	oldCred := f.appCreds[0]["id"]

	f.mu.Lock()
	for _, u := range f.users {
		if u["name"] == "hotstack" {
			u["password"] = "changed-by-someone"
		}
	}
	for _, fl := range f.flavors {
		if fl["name"] == "hotstack.tiny" {
			fl["ram"] = 128.0
		}
	}
	for _, s := range f.subnets {
		if s["name"] == "public-subnet" {
			s["allocation_pools"] = []any{doc{"start": "172.31.0.130", "end": "172.31.0.200"}}
		}
	}
	f.ports = nil
	f.keypairs[0]["public_key"] = "ssh-ed25519 OTHERKEY x"
	f.mu.Unlock()
	if err := os.Remove(o.CloudSecretFile); err != nil {
		t.Fatal(err)
	}
	// Someone else's cloud in clouds.yaml is kept.
	clouds, _ := os.ReadFile(o.CloudsFile)
	if err := os.WriteFile(o.CloudsFile, append(clouds, []byte("  mine:\n    cloud: x\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(o.CloudsFile, 0o644); err != nil { // made readable by all: back to 0600
		t.Fatal(err)
	}

	out.Reset()
	rep, err := PostSetup(t.Context(), o)
	if err != nil {
		t.Fatalf("repair run: %v\n%s", err, out.String())
	}
	for _, line := range []string{
		"updated  user hotstack: it could not log in with the kept password: password reset to it",
		"updated  file " + o.CloudsFile,
		"updated  flavor hotstack.tiny: recreated: ram 128→256",
		"updated  subnet public-subnet: allocation pools 172.31.0.130-172.31.0.200→172.31.0.130-172.31.0.223",
		"exists   router router1",
		"created  interface of router router1 on subnet private-subnet",
		"updated  keypair hotstack of user hotstack: replaced by the key in /home/me/.ssh/id_ed25519.pub",
		"updated  application credential hotstack-cred: recreated: " + o.CloudSecretFile + " is missing",
		"created  file " + o.CloudSecretFile,
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("repair run lacks %q\n%s", line, out.String())
		}
	}
	if rep.Count(Updated) == 0 || len(f.appCreds) != 1 || f.appCreds[0]["id"] == oldCred {
		t.Errorf("credentials %v (old %v)", f.appCreds, oldCred)
	}
	checkFiles(t, f, o)
	clouds, _ = os.ReadFile(o.CloudsFile)
	if !strings.Contains(string(clouds), "mine:") {
		t.Errorf("another cloud was dropped:\n%s", clouds)
	}

	// A secret that no longer logs in is replaced too.
	f.mu.Lock()
	f.appCreds[0]["secret"] = "rotated"
	f.mu.Unlock()
	out.Reset()
	if _, err := PostSetup(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "does not log in") {
		t.Errorf("a dead secret was kept:\n%s", out.String())
	}
	checkFiles(t, f, o)
}

// A clouds.yaml that does not parse stops the run before anything
// changes, naming the file; no secret shows in the error.
func TestPostSetupRefusesBrokenCloudsYAML(t *testing.T) {
	f := newFakeCloud(t)
	dir := t.TempDir()
	o := fakeOptions(f, dir, io.Discard)
	if err := os.MkdirAll(filepath.Dir(o.CloudsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	broken := "clouds:\n  a: [\n"
	if err := os.WriteFile(o.CloudsFile, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := PostSetup(t.Context(), o)
	if err == nil || !strings.Contains(err.Error(), o.CloudsFile) {
		t.Fatalf("error %v, want one naming %s", err, o.CloudsFile)
	}
	if w := f.takeWrites(); len(w) > 0 {
		t.Errorf("the cloud was changed: %q", w)
	}
	if data, _ := os.ReadFile(o.CloudsFile); string(data) != broken {
		t.Error("the broken file was rewritten")
	}
	if _, err := os.Stat(o.CloudSecretFile); err == nil {
		t.Error("cloud-secret.yaml was written")
	}
}

// Without a public key the keypair is skipped with a hint, not failed;
// a wrong admin password fails naming the login and not the password.
func TestPostSetupNoKeyAndBadLogin(t *testing.T) {
	f := newFakeCloud(t)
	var out bytes.Buffer
	o := fakeOptions(f, t.TempDir(), &out)
	o.PublicKey, o.KeyHint = "", []string{"make one with: ssh-keygen"}
	rep, err := PostSetup(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(Skipped) != 1 || !strings.Contains(out.String(), "skipped  keypair hotstack of user hotstack: no SSH public key at /home/me/.ssh/id_ed25519.pub") ||
		!strings.Contains(out.String(), "make one with: ssh-keygen") {
		t.Errorf("no key:\n%s", out.String())
	}

	// A rule Neutron refuses as a duplicate (409) exists.
	f.mu.Lock()
	f.hideRules = true
	f.mu.Unlock()
	out.Reset()
	if _, err := PostSetup(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if f.duplicateRuleConflicts != 4 || !strings.Contains(out.String(), "exists   rule ingress tcp 22 from 0.0.0.0/0 in security group default of project hotstack") {
		t.Errorf("%d conflicts:\n%s", f.duplicateRuleConflicts, out.String())
	}

	o.Admin.Password = "wrong-secret"
	_, err = PostSetup(t.Context(), o)
	if err == nil || !strings.Contains(err.Error(), "log in to") || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("bad login: %v", err)
	}
}

// TestPostSetupCatalogImages: an image from a source is fetched only when
// Glance lacks it, uploaded with its properties and checked; a source that
// fails or is empty skips its image with the reason, and post-setup goes
// on; a second run fetches nothing.
func TestPostSetupCatalogImages(t *testing.T) {
	f := newFakeCloud(t)
	dir := t.TempDir()
	var out bytes.Buffer
	o := fakeOptions(f, dir, &out)
	disk := filepath.Join(dir, "ipxe.img")
	if err := os.WriteFile(disk, []byte("ipxe disk"), 0o600); err != nil {
		t.Fatal(err)
	}
	fetches := 0
	fetch := func(context.Context) (string, error) { fetches++; return disk, nil }
	o.Images = append(o.Images,
		ImageSpec{Name: "ipxe-rescue-bios", DiskFormat: "raw", Properties: map[string]string{"hw_rescue_device": "cdrom", "hw_rescue_bus": "usb"}, Fetch: fetch},
		ImageSpec{Name: "cirros", DiskFormat: "qcow2", Fetch: func(context.Context) (string, error) {
			return "", errors.New("http://unreachable/c.img: no such host (set HOTSTACK_CIRROS_URL ...)")
		}},
		ImageSpec{Name: "ubuntu-noble-server", DiskFormat: "qcow2", Skip: "HOTSTACK_UBUNTU_NOBLE_URL is empty"},
	)
	if _, err := PostSetup(t.Context(), o); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"created  image ipxe-rescue-bios: raw, from " + disk,
		"skipped  image cirros: http://unreachable/c.img: no such host",
		"skipped  image ubuntu-noble-server: HOTSTACK_UBUNTU_NOBLE_URL is empty",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("post-setup did not say %q:\n%s", want, out.String())
		}
	}
	img := findByName(f.images, "ipxe-rescue-bios")
	if img == nil || img["hw_rescue_device"] != "cdrom" || img["checksum"] == nil {
		t.Errorf("uploaded image: %v", img)
	}
	out.Reset()
	if _, err := PostSetup(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if fetches != 1 || !strings.Contains(out.String(), "exists   image ipxe-rescue-bios") {
		t.Errorf("second run: %d fetches\n%s", fetches, out.String())
	}
}

func findByName(items []doc, name string) doc {
	for _, it := range items {
		if it["name"] == name {
			return it
		}
	}
	return nil
}

package health

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHTTPAnswersAsCurlDoes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v3":
			w.WriteHeader(http.StatusOK)
		case "/":
			w.WriteHeader(http.StatusMultipleChoices) // glance's and heat's version lists
		case "/broken":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range []struct {
		path      string
		anyStatus bool
		healthy   bool
	}{{"/v3", false, true}, {"/", false, true}, {"/broken", false, false}, {"/broken", true, true}, {"/nothing", false, false}} {
		r := HTTP{Addr: addr, Path: c.path, AnyStatus: c.anyStatus}.Probe(ctx)
		if r.Healthy != c.healthy || r.Permanent || !strings.Contains(r.Output, "GET http://"+addr+c.path) {
			t.Errorf("GET %s (any status %v): %+v, want healthy=%v", c.path, c.anyStatus, r, c.healthy)
		}
	}
	srv.Close()
	if r := (HTTP{Addr: addr, Path: "/"}).Probe(ctx); r.Healthy || r.Permanent {
		t.Errorf("a closed port: %+v, want unhealthy, not permanent", r)
	}
}

// procWithTCP is a /proc holding process 42's network tables.
func procWithTCP(t *testing.T, tcp string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "42", "net")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tcp"), []byte(tcp), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

const tcpHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

func TestConnectedWantsAnEstablishedConnectionToThePort(t *testing.T) {
	pid := func(context.Context) (int, error) { return 42, nil }
	ctx := context.Background()
	cases := map[string]struct {
		table   string
		healthy bool
	}{
		// 172.31.0.22:43210 -> 172.31.0.12:5672 (0x1628), established.
		"established to 5672": {tcpHeader + "   0: 16001FAC:A8CA 0C001FAC:1628 01 00000000:00000000 00:00000000 00000000 42436 0 12345 1\n", true},
		// SYN_SENT (02): RabbitMQ not answering yet.
		"still connecting": {tcpHeader + "   0: 16001FAC:A8CA 0C001FAC:1628 02 00000000:00000000 00:00000000 00000000 42436 0 12345 1\n", false},
		// Established, but to MariaDB (3306 = 0x0CEA).
		"another port": {tcpHeader + "   0: 16001FAC:A8CB 0A001FAC:0CEA 01 00000000:00000000 00:00000000 00000000 42436 0 12346 1\n", false},
		// Listening on 5672 locally is not a connection to it.
		"a listener":     {tcpHeader + "   0: 00000000:1628 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 12347 1\n", false},
		"no connections": {tcpHeader, false},
	}
	for name, c := range cases {
		r := Connected{PID: pid, Port: 5672, Proc: procWithTCP(t, c.table)}.Probe(ctx)
		if r.Healthy != c.healthy || r.Permanent {
			t.Errorf("%s: %+v, want healthy=%v", name, r, c.healthy)
		}
	}
	notYet := Connected{PID: func(context.Context) (int, error) { return 0, nil }, Port: 5672, Proc: t.TempDir()}.Probe(ctx)
	if notYet.Healthy || notYet.Permanent || !strings.Contains(notYet.Output, "not running yet") {
		t.Errorf("a container not started yet: %+v", notYet)
	}
	gone := Connected{PID: pid, Port: 5672, MainPID: exitedPID(t)}.Probe(ctx)
	if !gone.Permanent {
		t.Errorf("a container whose podman process exited: %+v, want a permanent failure", gone)
	}
}

// exitedPID is the pid of a process that has exited and been reaped.
func exitedPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

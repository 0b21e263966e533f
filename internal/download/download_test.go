package download

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// TestFetchDownloadsOnce: a URL is downloaded into the cache once, with
// progress lines, and served from the cache after; a local file is used
// where it is; a cut-short or failed download leaves nothing behind.
func TestFetchDownloadsOnce(t *testing.T) {
	body := bytes.Repeat([]byte("disk"), 1<<18) // 1 MiB
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		switch r.URL.Path {
		case "/disk.img":
			_, _ = w.Write(body)
		case "/short.img":
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			_, _ = w.Write(body[:1000])
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	var log bytes.Buffer
	c := &Cache{Dir: dir, Progress: &log}
	ctx := context.Background()

	path, fresh, err := c.Fetch(ctx, srv.URL+"/disk.img", "cirros.qcow2")
	if err != nil || !fresh {
		t.Fatalf("first fetch: %q %v %v", path, fresh, err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, body) {
		t.Fatalf("cached file holds %d bytes, want %d", len(got), len(body))
	}
	if !strings.HasPrefix(filepath.Base(path), "disk-") || !strings.HasSuffix(path, ".img") || filepath.Dir(path) != dir {
		t.Errorf("cache file %s", path)
	}
	if !strings.Contains(log.String(), "downloaded cirros.qcow2: 1.0 MiB") {
		t.Errorf("progress: %q", log.String())
	}
	// Another image from the same URL shares the download.
	again, fresh, err := c.Fetch(ctx, srv.URL+"/disk.img", "ipxe-rescue-bios")
	if err != nil || fresh || again != path || gets.Load() != 1 {
		t.Fatalf("second fetch: %q fresh=%v %v, %d GETs", again, fresh, err, gets.Load())
	}

	local := filepath.Join(t.TempDir(), "mine.img")
	if err := os.WriteFile(local, body, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{local, "file://" + local} {
		if p, fresh, err := c.Fetch(ctx, src, "mine.img"); err != nil || fresh || p != local {
			t.Errorf("local %s: %q %v %v", src, p, fresh, err)
		}
	}
	if _, _, err := c.Fetch(ctx, "/nonexistent/disk.img", "x.img"); err == nil {
		t.Error("a missing local file is no error")
	}

	for _, bad := range []string{"/short.img", "/missing.img"} {
		_, _, err := c.Fetch(ctx, srv.URL+bad, "bad.img")
		if err == nil {
			t.Errorf("%s: no error", bad)
		}
		t.Logf("%s: %v", bad, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the cache holds %d entries, want only the complete download", len(entries))
	}
}

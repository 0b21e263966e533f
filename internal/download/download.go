// Package download fetches disk images into a cache once: post-setup's
// Glance images come from URLs or local files named in .env.
package download

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	pathpkg "path"
	"path/filepath"
	"strings"
	"time"
)

// Cache is where downloads are kept between runs.
type Cache struct {
	Dir    string
	Client *http.Client
	// Progress receives the progress of a download; nil for none.
	Progress io.Writer
	// Terminal: Progress is a terminal, so one line is redrawn; otherwise
	// a line is written at every quarter.
	Terminal bool
}

// DefaultDir is where post-setup keeps the images it downloaded.
const DefaultDir = "/var/cache/hotstack-os/images"

// LocalPath is the file a source names when it is local (an absolute path
// or a file:// URL), and false when it is a URL to download.
func LocalPath(source string) (string, bool) {
	if p, ok := strings.CutPrefix(source, "file://"); ok {
		return p, true
	}
	return source, strings.HasPrefix(source, "/")
}

// Fetch returns a local file holding source: the file itself when source
// is local, else the cached download of the URL, downloaded now when the
// cache lacks it. The cache file is named after the URL's last element and
// a hash of the whole URL: two images from one URL share one download, and
// a changed URL is downloaded again. name is what the progress lines call
// it. A download goes to a .part file first and is kept only when
// complete.
func (c *Cache) Fetch(ctx context.Context, source, name string) (path string, downloaded bool, err error) {
	if p, ok := LocalPath(source); ok {
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			return "", false, err
		case !fi.Mode().IsRegular():
			return "", false, fmt.Errorf("%s is not a regular file", p)
		}
		return p, false, nil
	}
	sum := sha256.Sum256([]byte(source))
	base := "image"
	if u, err := url.Parse(source); err == nil && pathpkg.Base(u.Path) != "/" && pathpkg.Base(u.Path) != "." {
		base = pathpkg.Base(u.Path)
	}
	ext := filepath.Ext(base)
	path = filepath.Join(c.Dir, strings.TrimSuffix(base, ext)+"-"+hex.EncodeToString(sum[:4])+ext)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		return path, false, nil
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return "", false, err
	}
	if err := c.download(ctx, source, path, name); err != nil {
		return "", false, err
	}
	return path, true, nil
}

func (c *Cache) download(ctx context.Context, url, path, name string) (err error) {
	client := c.Client
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	part := path + ".part"
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(part)
		}
	}()
	p := &progress{w: c.Progress, terminal: c.Terminal, name: name, total: resp.ContentLength, start: time.Now()}
	n, err := io.Copy(io.MultiWriter(f, p), resp.Body)
	p.done(err)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("GET %s: %d bytes of %d", url, n, resp.ContentLength)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(part, path)
}

// progress reports a download: a redrawn line on a terminal, a line per
// quarter elsewhere (a log).
type progress struct {
	w        io.Writer
	terminal bool
	name     string
	total    int64
	n        int64
	quarter  int64
	start    time.Time
	last     time.Time
}

func (p *progress) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if p.w == nil {
		return len(b), nil
	}
	now := time.Now()
	switch {
	case p.terminal && now.Sub(p.last) >= 200*time.Millisecond:
		p.last = now
		fmt.Fprintf(p.w, "\r  downloading %s: %s", p.name, p.amount())
	case !p.terminal && p.total > 0 && p.n*4/p.total > p.quarter && p.n < p.total:
		p.quarter = p.n * 4 / p.total
		fmt.Fprintf(p.w, "  downloading %s: %s\n", p.name, p.amount())
	}
	return len(b), nil
}

func (p *progress) amount() string {
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	if p.total > 0 {
		return fmt.Sprintf("%3d%% (%.1f/%.1f MiB)", p.n*100/p.total, mib(p.n), mib(p.total))
	}
	return fmt.Sprintf("%.1f MiB", mib(p.n))
}

func (p *progress) done(err error) {
	if p.w == nil {
		return
	}
	// On a terminal the final line replaces the progress line (ESC[K
	// clears what was longer).
	prefix, suffix := "", "\n"
	if p.terminal {
		prefix, suffix = "\r", "\033[K\n"
	}
	mib := float64(p.n) / (1 << 20)
	if err != nil {
		fmt.Fprintf(p.w, "%s  downloading %s: failed after %.1f MiB%s", prefix, p.name, mib, suffix)
		return
	}
	fmt.Fprintf(p.w, "%s  downloaded %s: %.1f MiB in %s%s", prefix, p.name, mib, time.Since(p.start).Round(100*time.Millisecond), suffix)
}

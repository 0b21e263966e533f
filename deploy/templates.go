package deploy

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/units"
)

// RenderedFile is one template rendered for the data directory.
type RenderedFile struct {
	Rel  string // path below the destination directory
	Data []byte
	Mode fs.FileMode
}

// RenderTemplates renders every file below src, replacing __KEY__ with the
// config's values. Any unknown placeholder is an error naming the file and
// line; all errors are collected before returning. It does no writing.
// A file that references a secret is rendered mode 0600 (0700 when
// executable), so secrets never land in a world-readable file.
func RenderTemplates(cfg *config.Config, src string) ([]RenderedFile, error) {
	var out []RenderedFile
	var problems []string
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rendered, secret, errs := renderTemplate(cfg, path, string(data))
		problems = append(problems, errs...)
		mode := fs.FileMode(0o644)
		if secret {
			mode = 0o600
		}
		if info.Mode()&0o111 != 0 {
			mode |= (mode & 0o444) >> 2 // add x where r is set
		}
		rel, _ := filepath.Rel(src, path)
		out = append(out, RenderedFile{Rel: rel, Data: []byte(rendered), Mode: mode})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read templates in %s: %w", src, err)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("templates in %s:\n  %s", src, strings.Join(problems, "\n  "))
	}
	return out, nil
}

func renderTemplate(cfg *config.Config, path, text string) (string, bool, []string) {
	var problems []string
	secret := false
	lines := strings.SplitAfter(text, "\n")
	for i, line := range lines {
		for _, key := range config.Placeholders(line) {
			if cfg.IsSecret(key) {
				secret = true
			}
		}
		expanded, err := cfg.Expand(line)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: %v", path, i+1, err))
			continue
		}
		lines[i] = expanded
	}
	return strings.Join(lines, ""), secret, problems
}

// ConfigTargets are the template trees `mage config` renders and where.
func ConfigTargets(o Options, cfg *config.Config) []struct{ Src, Dst string } {
	runtime := filepath.Join(cfg.Get("HOTSTACK_DATA_DIR"), "runtime")
	return []struct{ Src, Dst string }{
		{o.ConfigsDir, filepath.Join(runtime, "config")},
		{o.ScriptsDir, filepath.Join(runtime, "scripts")},
	}
}

// RenderConfig renders the configs and scripts templates into the data
// directory's runtime/ tree. All templates are checked before any is
// written; unchanged files are not touched.
func RenderConfig(o Options) error {
	cfg, err := o.LoadConfig()
	if err != nil {
		return err
	}
	type job struct {
		dst   string
		files []RenderedFile
	}
	var jobs []job
	for _, t := range ConfigTargets(o, cfg) {
		if _, err := os.Stat(t.Src); errors.Is(err, fs.ErrNotExist) {
			o.Log.Warn().Msgf("config: template directory %s does not exist; skipped", t.Src)
			continue
		}
		files, err := RenderTemplates(cfg, t.Src)
		if err != nil {
			return err
		}
		jobs = append(jobs, job{units.Rooted(o.Root, t.Dst), files})
	}
	written, unchanged := 0, 0
	for _, j := range jobs {
		for _, f := range j.files {
			dst := filepath.Join(j.dst, f.Rel)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			changed, err := atomicfile.Write(dst, f.Data, atomicfile.Options{Perm: f.Mode})
			if err != nil {
				return err
			}
			if changed {
				written++
				o.Log.Info().Str("path", dst).Msg("written")
			} else {
				unchanged++
			}
		}
	}
	if written == 0 {
		o.Log.Info().Msgf("config: unchanged (%d files already up to date)", unchanged)
	} else {
		o.Log.Info().Msgf("config: %d written, %d unchanged", written, unchanged)
	}
	return nil
}

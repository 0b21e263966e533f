package install

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
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

// Templates are the template trees `mage config` renders.
type Templates struct {
	ConfigsDir, ScriptsDir string // HOTSTACK_CONFIGS_DIR, HOTSTACK_SCRIPTS_DIR
}

// ConfigFiles renders every template for the data directory's runtime/
// tree (configs into runtime/config, scripts into runtime/scripts), each
// file with its absolute path. All templates are checked before any is
// returned. A template directory that does not exist is skipped and named
// in missing.
func ConfigFiles(cfg *config.Config, t Templates) (files []units.File, missing []string, err error) {
	runtime := filepath.Join(cfg.Get("HOTSTACK_DATA_DIR"), "runtime")
	for _, tree := range []struct{ src, dst string }{
		{t.ConfigsDir, filepath.Join(runtime, "config")},
		{t.ScriptsDir, filepath.Join(runtime, "scripts")},
	} {
		if _, err := os.Stat(tree.src); errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, tree.src)
			continue
		}
		rendered, err := RenderTemplates(cfg, tree.src)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range rendered {
			files = append(files, units.File{Path: filepath.Join(tree.dst, r.Rel), Data: r.Data, Mode: r.Mode})
		}
	}
	return files, missing, nil
}

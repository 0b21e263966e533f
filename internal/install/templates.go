package install

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

// RenderedFile is one template rendered for the data directory.
type RenderedFile struct {
	Rel  string // path below the destination directory
	Data []byte
	Mode fs.FileMode
}

// RenderTemplates renders every file below src, replacing __KEY__ with the
// config's values. An unknown placeholder, or one naming a secret, is an
// error naming the file and line; all errors are collected before
// returning. It does no writing. Secrets never reach a rendered file: the
// services read them from their container environment.
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
		rendered, errs := renderTemplate(cfg, path, string(data))
		problems = append(problems, errs...)
		mode := fs.FileMode(0o644)
		if info.Mode()&0o111 != 0 {
			mode = 0o755
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

func renderTemplate(cfg *config.Config, path, text string) (string, []string) {
	text, problems := ForRelease(path, text, cfg.Get(stack.ReleaseKey))
	if len(problems) > 0 {
		return "", problems
	}
	lines := strings.SplitAfter(text, "\n")
	for i, line := range lines {
		secret := false
		for _, key := range config.Placeholders(line) {
			if cfg.IsSecret(key) {
				problems = append(problems, fmt.Sprintf("%s:%d: __%s__ is a secret; secrets reach the services through their container environment only, never a rendered file", path, i+1, key))
				secret = true
			}
		}
		if secret {
			continue
		}
		expanded, err := cfg.Expand(line)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: %v", path, i+1, err))
			continue
		}
		lines[i] = expanded
	}
	return strings.Join(lines, ""), problems
}

// The lines that mark what only some releases get: a block from
// "#@release NAME..." to "#@end" is kept for the releases it names and
// dropped for the others; the marker lines never reach a rendered file.
// An option whose name or value changed between releases is written once
// per release, so each release's file has no deprecated option.
const (
	releaseMark = "#@release"
	endMark     = "#@end"
)

// ForRelease keeps the lines of text that release gets (see releaseMark).
// An unknown release name, a nested or unclosed block, or an end without
// a start is a problem naming path and line.
func ForRelease(path, text, release string) (string, []string) {
	var out strings.Builder
	var problems []string
	start, keep := 0, true
	for i, line := range strings.SplitAfter(text, "\n") {
		mark := strings.TrimSpace(line)
		switch {
		case mark == releaseMark || strings.HasPrefix(mark, releaseMark+" "):
			if start != 0 {
				problems = append(problems, fmt.Sprintf("%s:%d: %s inside the block that starts on line %d (blocks do not nest)", path, i+1, releaseMark, start))
				continue
			}
			names := strings.Fields(strings.TrimPrefix(mark, releaseMark))
			if len(names) == 0 {
				problems = append(problems, fmt.Sprintf("%s:%d: %s names no release (%s)", path, i+1, releaseMark, strings.Join(stack.ReleaseNames(), ", ")))
			}
			for _, n := range names {
				if !slices.Contains(stack.ReleaseNames(), n) {
					problems = append(problems, fmt.Sprintf("%s:%d: %s %s: no such release (%s)", path, i+1, releaseMark, n, strings.Join(stack.ReleaseNames(), ", ")))
				}
			}
			start, keep = i+1, slices.Contains(names, release)
		case mark == endMark:
			if start == 0 {
				problems = append(problems, fmt.Sprintf("%s:%d: %s without a %s before it", path, i+1, endMark, releaseMark))
			}
			start, keep = 0, true
		case keep:
			out.WriteString(line)
		}
	}
	if start != 0 {
		problems = append(problems, fmt.Sprintf("%s:%d: %s is never closed by %s", path, start, releaseMark, endMark))
	}
	return out.String(), problems
}

// Templates are the template trees `mage config` renders.
type Templates struct {
	ConfigsDir, ScriptsDir string // HOTSTACK_CONFIGS_DIR, HOTSTACK_SCRIPTS_DIR
}

// ConfigFiles renders every template for the data directory's runtime/
// tree (configs into runtime/config, scripts into runtime/scripts), each
// file with its absolute path. All templates are checked before any is
// returned. A template directory that does not exist is an error naming
// the switch that chose it.
func ConfigFiles(cfg *config.Config, t Templates) ([]units.File, error) {
	runtime := RuntimeDir(cfg)
	var files []units.File
	for _, tree := range []struct{ src, dst, variable string }{
		{t.ConfigsDir, filepath.Join(runtime, "config"), "HOTSTACK_CONFIGS_DIR"},
		{t.ScriptsDir, filepath.Join(runtime, "scripts"), "HOTSTACK_SCRIPTS_DIR"},
	} {
		if fi, err := os.Stat(tree.src); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("%s: template directory %s does not exist or is not a directory "+
				"(run mage in the checkout, or set %s)", tree.variable, tree.src, tree.variable)
		}
		rendered, err := RenderTemplates(cfg, tree.src)
		if err != nil {
			return nil, err
		}
		for _, r := range rendered {
			files = append(files, units.File{Path: filepath.Join(tree.dst, r.Rel), Data: r.Data, Mode: r.Mode})
		}
	}
	return files, nil
}

// RuntimeDir is where the rendered configuration goes.
func RuntimeDir(cfg *config.Config) string {
	return filepath.Join(cfg.Get("HOTSTACK_DATA_DIR"), "runtime")
}

// CheckMounted fails when a container mounts a file of the runtime tree
// that no template renders: the unit would start on a missing file.
func CheckMounted(cfg *config.Config, st *stack.Stack, files []units.File, t Templates) error {
	rendered := map[string]bool{}
	for _, f := range files {
		rendered[f.Path] = true
	}
	runtime := RuntimeDir(cfg) + "/"
	var missing []string
	for _, svc := range st.Containers() {
		for _, v := range svc.Container.Volumes {
			v, err := cfg.Expand(v)
			if err != nil {
				return err
			}
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, runtime) && !rendered[src] && !slices.Contains(missing, src) {
				missing = append(missing, src)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the units mount %d file(s) that no template renders (templates: %s, %s):\n  %s",
			len(missing), t.ConfigsDir, t.ScriptsDir, strings.Join(missing, "\n  "))
	}
	return nil
}

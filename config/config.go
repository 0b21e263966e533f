package config

import (
	"cmp"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// DefaultsName is how a config loaded without a .env file names its source.
const DefaultsName = "<built-in defaults>"

// Config is a loaded, resolved and validated .env.
type Config struct {
	// File is the path read, or DefaultsName.
	File   string
	schema Schema
	values map[string]string
	lines  map[string]int
	// refs are the keys each key's value references with ${KEY}.
	refs map[string][]string
	// Shadowed lists keys set both in the file and in the process
	// environment with another value; the file wins (see README).
	Shadowed []string
	// Warnings are problems that do not stop loading (a key set twice),
	// each located as file:line: KEY: message.
	Warnings []string
	// generated holds the Generated secrets the file left empty, with the
	// value they were given (stored, or made by this load); fresh lists
	// those made by this load.
	generated map[string]string
	fresh     []string
}

// Options adjusts loading.
type Options struct {
	// AllowEmptySecrets lets a config without secrets load; the helper
	// binary reads the installed, secret-free config this way.
	AllowEmptySecrets bool
	// Hostname supplies CHASSIS_HOSTNAME's default; os.Hostname when nil.
	Hostname func() (string, error)
	// Environ is consulted only to warn about shadowed keys; os.Environ
	// when nil.
	Environ func() []string
	// HomeDirs lists the home directories a path key may not be or hold;
	// the home directories of /etc/passwd when nil.
	HomeDirs func() []string
	// StoredSecrets are the values generated for empty Generated secrets
	// by earlier runs (GeneratedSecretsFile); a Generated secret that is
	// empty and not stored gets a new random value, unless
	// AllowEmptySecrets is set.
	StoredSecrets map[string]string
	// LookupPath describes a path without following a symbolic link at
	// its end (lstat), for the check that only root may write the
	// directories leading to each path key; a real lstat when nil. It
	// returns an error matching fs.ErrNotExist for a missing path.
	LookupPath func(path string) (PathInfo, error)
}

// Load reads path and validates it against schema. A missing file is an
// error; use LoadOrDefaults for the "no .env yet" case.
func Load(path string, schema Schema, opt Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, schema, opt)
}

// ReadStoredSecrets reads the secrets an earlier install generated (see
// Options.StoredSecrets) from path, a .env-syntax file; none when it does
// not exist.
func ReadStoredSecrets(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the generated secrets: %w", err)
	}
	entries, errs, _ := parseDotenv(path, data)
	if len(errs) > 0 {
		return nil, ValidationError(errs)
	}
	out := map[string]string{}
	for _, e := range entries {
		out[e.Key] = e.Value
	}
	return out, nil
}

// LoadOrDefaults reads path, or, when it does not exist, uses the built-in
// defaults (the content of .env.example). usedDefaults tells which.
func LoadOrDefaults(path string, schema Schema, opt Options) (cfg *Config, usedDefaults bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		cfg, err := Parse(DefaultsName, Example(schema), schema, opt)
		return cfg, true, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("read config: %w", err)
	}
	cfg, err = Parse(path, data, schema, opt)
	return cfg, false, err
}

// Parse validates the .env content data, named file in messages.
func Parse(file string, data []byte, schema Schema, opt Options) (*Config, error) {
	entries, errs, warnings := parseDotenv(file, data)
	c := &Config{File: file, schema: schema, values: map[string]string{}, lines: map[string]int{}, refs: map[string][]string{}, Warnings: warnings}

	raw := map[string]entry{}
	for _, e := range entries {
		if _, ok := schema.Lookup(e.Key); !ok {
			msg := "unknown key"
			if s := closest(e.Key, schema); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			errs = append(errs, &Error{File: file, Line: e.Line, Key: e.Key, Msg: msg})
			continue
		}
		raw[e.Key] = e
		c.lines[e.Key] = e.Line
	}
	for _, k := range schema {
		if _, ok := raw[k.Name]; ok {
			continue
		}
		def := k.Default
		if def == HostnameDefault {
			h := opt.Hostname
			if h == nil {
				h = os.Hostname
			}
			name, err := h()
			if err != nil {
				errs = append(errs, &Error{File: file, Key: k.Name, Msg: fmt.Sprintf("cannot read host name for the default: %v", err)})
			}
			def = name
		}
		raw[k.Name] = entry{Key: k.Name, Value: def}
	}

	r := resolver{raw: raw, out: c.values, refs: c.refs, file: file, state: map[string]int{}}
	for _, k := range schema {
		if err := r.resolve(k.Name); err != nil {
			errs = append(errs, err)
		}
	}
	if !opt.AllowEmptySecrets {
		c.fillGenerated(opt.StoredSecrets)
	}
	errs = append(errs, c.validate(opt)...)
	if len(errs) > 0 {
		// Located problems first, by line; those on defaults after.
		slices.SortStableFunc(errs, func(a, b *Error) int {
			switch {
			case a.Line == b.Line:
				return 0
			case a.Line == 0:
				return 1
			case b.Line == 0:
				return -1
			}
			return cmp.Compare(a.Line, b.Line)
		})
		return nil, ValidationError(dedupe(errs))
	}
	c.Shadowed = shadowed(c, opt.Environ)
	return c, nil
}

func dedupe(errs []*Error) []*Error {
	seen := map[string]bool{}
	var out []*Error
	for _, e := range errs {
		if s := e.Error(); !seen[s] {
			seen[s] = true
			out = append(out, e)
		}
	}
	return out
}

var refPattern = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// resolver expands ${VAR} references between keys, detecting cycles.
type resolver struct {
	raw   map[string]entry
	out   map[string]string
	refs  map[string][]string
	file  string
	state map[string]int // 1 resolving, 2 done
}

func (r *resolver) resolve(key string) *Error {
	switch r.state[key] {
	case 2:
		return nil
	case 1:
		return &Error{File: r.file, Line: r.raw[key].Line, Key: key, Msg: "${...} references form a cycle"}
	}
	r.state[key] = 1
	e := r.raw[key]
	val := e.Value
	if !e.Literal {
		var firstErr *Error
		val = refPattern.ReplaceAllStringFunc(e.Value, func(m string) string {
			ref := refPattern.FindStringSubmatch(m)[1]
			r.refs[key] = append(r.refs[key], ref)
			if _, ok := r.raw[ref]; !ok {
				if firstErr == nil {
					firstErr = &Error{File: r.file, Line: e.Line, Key: key, Msg: fmt.Sprintf("references unknown key ${%s}", ref)}
				}
				return m
			}
			if err := r.resolve(ref); err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return m
			}
			return r.out[ref]
		})
		if firstErr != nil {
			r.state[key] = 2
			return firstErr
		}
	}
	r.out[key] = val
	r.state[key] = 2
	return nil
}

// Get returns key's resolved value. It panics on a key outside the schema:
// that is a programming error, not bad input.
func (c *Config) Get(key string) string {
	v, ok := c.values[key]
	if !ok {
		panic(fmt.Sprintf("config: key %q is not in the schema", key))
	}
	return v
}

// Has reports whether key is in the schema.
func (c *Config) Has(key string) bool {
	_, ok := c.values[key]
	return ok
}

// Int returns an Int key's value.
func (c *Config) Int(key string) int {
	n, _ := strconv.Atoi(c.Get(key))
	return n
}

// Schema returns the schema the config was validated against.
func (c *Config) Schema() Schema { return c.schema }

// IsSecret reports whether key holds a secret.
func (c *Config) IsSecret(key string) bool {
	k, ok := c.schema.Lookup(key)
	return ok && k.Kind == Secret
}

// SecretValues returns every non-empty secret value, for masking output.
func (c *Config) SecretValues() []string {
	var out []string
	for _, k := range c.schema {
		if k.Kind == Secret && c.values[k.Name] != "" {
			out = append(out, c.values[k.Name])
		}
	}
	return out
}

func shadowed(c *Config, environ func() []string) []string {
	if environ == nil {
		environ = os.Environ
	}
	var out []string
	for _, kv := range environ() {
		k, v, _ := strings.Cut(kv, "=")
		if cur, ok := c.values[k]; ok && cur != v {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// PublishedPasswords are the passwords the example configuration once
// shipped: anyone can try them, so a secret holding one is refused unless
// ALLOW_PUBLISHED_PASSWORDS is true.
var PublishedPasswords = []string{"admin", "rootpass", "openstack"}

// AllowPublishedKey is the key that accepts published passwords.
const AllowPublishedKey = "ALLOW_PUBLISHED_PASSWORDS"

// DefaultSecrets returns the secret keys the file sets to a published
// password (accepted only with ALLOW_PUBLISHED_PASSWORDS=true), for a
// warning.
func (c *Config) DefaultSecrets() []string {
	var out []string
	for _, k := range c.schema {
		if k.Kind == Secret && c.lines[k.Name] > 0 && slices.Contains(PublishedPasswords, c.values[k.Name]) {
			out = append(out, k.Name)
		}
	}
	return out
}

// fillGenerated gives each Generated secret the file left empty its stored
// value, or a new random one (130 bits, letters and digits only, so it
// needs no quoting in any file format it lands in).
func (c *Config) fillGenerated(stored map[string]string) {
	c.generated = map[string]string{}
	for _, k := range c.schema {
		if k.Kind != Secret || !k.Generated || c.values[k.Name] != "" {
			continue
		}
		v, ok := stored[k.Name]
		if !ok || v == "" {
			v = rand.Text()
			c.fresh = append(c.fresh, k.Name)
		}
		c.values[k.Name] = v
		c.generated[k.Name] = v
	}
}

// GeneratedSecrets returns the generated secrets in use (stored or new),
// to be kept for the next run; nil when the config set every secret.
func (c *Config) GeneratedSecrets() map[string]string {
	if len(c.generated) == 0 {
		return nil
	}
	return maps.Clone(c.generated)
}

// NewSecrets names the secrets this load generated: they are not stored
// yet, and change on every load until they are.
func (c *Config) NewSecrets() []string { return slices.Clone(c.fresh) }

// origin is the key the user wrote that key's value comes from: key itself
// when it is in the file, else the first written key its default refers to
// (NOVA_INSTANCES_PATH=${HOTSTACK_DATA_DIR}/... comes from HOTSTACK_DATA_DIR).
// "" when neither is in the file.
func (c *Config) origin(key string, seen map[string]bool) string {
	if c.lines[key] > 0 {
		return key
	}
	if seen[key] {
		return ""
	}
	seen[key] = true
	for _, ref := range c.refs[key] {
		if o := c.origin(ref, seen); o != "" {
			return o
		}
	}
	return ""
}

// secretSource returns the secret key's value flows from into key by
// ${...} references, and the reference of key's own value it comes
// through; "" when none.
func (c *Config) secretSource(key string, seen map[string]bool) (secret, through string) {
	if seen[key] {
		return "", ""
	}
	seen[key] = true
	for _, ref := range c.refs[key] {
		if c.IsSecret(ref) {
			return ref, ref
		}
		if s, _ := c.secretSource(ref, seen); s != "" {
			return s, ref
		}
	}
	return "", ""
}

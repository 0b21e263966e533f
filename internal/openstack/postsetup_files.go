package openstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"

	// A YAML library, because clouds.yaml is the operator's file too: its
	// other clouds, their order and comments must survive our edit, which
	// needs yaml.v3's node tree (sigs.k8s.io/yaml goes through JSON and
	// keeps none of it). go.yaml.in/yaml/v3 is the maintained home of
	// gopkg.in/yaml.v3, same API.
	"go.yaml.in/yaml/v3"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
)

// secretFileMode is the mode of every file post-setup writes: each holds a
// credential.
const secretFileMode fs.FileMode = 0o600

// CloudSecret is HotStack's cloud-secret.yaml: the application credential
// its scenarios log in with.
type CloudSecret struct {
	AuthURL                     string `yaml:"auth_url"`
	ApplicationCredentialID     string `yaml:"application_credential_id"`
	ApplicationCredentialSecret string `yaml:"application_credential_secret"`
	RegionName                  string `yaml:"region_name"`
	Interface                   string `yaml:"interface"`
	IdentityAPIVersion          int    `yaml:"identity_api_version"`
	AuthType                    string `yaml:"auth_type"`
}

// cloudSecretDoc is the file's one top-level key.
type cloudSecretDoc struct {
	Secrets CloudSecret `yaml:"hotstack_cloud_secrets"`
}

// CloudSecretYAML is the content of cloud-secret.yaml for s.
func CloudSecretYAML(s CloudSecret) []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(cloudSecretDoc{s}) // a struct of strings and an int always encodes
	_ = enc.Close()
	return b.Bytes()
}

// ParseCloudSecret reads a cloud-secret.yaml; an error when it is not one.
func ParseCloudSecret(data []byte) (*CloudSecret, error) {
	var doc cloudSecretDoc
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, errors.New(yamlProblem(err))
	}
	if doc.Secrets.ApplicationCredentialID == "" {
		return nil, errors.New("no hotstack_cloud_secrets.application_credential_id")
	}
	return &doc.Secrets, nil
}

// Cloud is one clouds.yaml entry.
type Cloud struct {
	Auth               CloudAuth `yaml:"auth"`
	RegionName         string    `yaml:"region_name,omitempty"`
	Interface          string    `yaml:"interface"`
	IdentityAPIVersion int       `yaml:"identity_api_version"`
}

// CloudAuth is a clouds.yaml entry's password login.
type CloudAuth struct {
	AuthURL           string `yaml:"auth_url"`
	Username          string `yaml:"username"`
	Password          string `yaml:"password"`
	ProjectName       string `yaml:"project_name"`
	UserDomainName    string `yaml:"user_domain_name"`
	ProjectDomainName string `yaml:"project_domain_name"`
}

// NamedCloud is a clouds.yaml entry with its name.
type NamedCloud struct {
	Name  string
	Cloud Cloud
}

// MergeClouds returns the clouds.yaml existing (nil or empty: none yet)
// with the entries of clouds set, and whether that differs from existing.
// Every other cloud, top-level key and comment is kept, in its order; an
// entry already equal to ours is left as written. A file that does not
// parse, or whose clouds is not a mapping, is an error: it is the
// operator's, and we do not guess.
func MergeClouds(existing []byte, clouds []NamedCloud) ([]byte, bool, error) {
	var doc yaml.Node
	if len(bytes.TrimSpace(existing)) > 0 {
		if err := yaml.Unmarshal(existing, &doc); err != nil {
			return nil, false, errors.New(yamlProblem(err))
		}
	}
	if doc.Kind == 0 { // empty file, or only comments
		comment := doc.HeadComment
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
		doc.HeadComment = comment
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, false, errors.New("the top level is not a mapping")
	}
	top := doc.Content[0]
	changed := false
	section := mappingValue(top, "clouds")
	switch {
	case section == nil:
		section = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		top.Content = append(top.Content, scalar("clouds"), section)
		changed = true
	case section.Kind == yaml.ScalarNode && section.Tag == "!!null":
		*section = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", HeadComment: section.HeadComment, LineComment: section.LineComment}
		changed = true
	case section.Kind != yaml.MappingNode:
		return nil, false, errors.New("clouds is not a mapping")
	}
	for _, c := range clouds {
		var want yaml.Node
		if err := want.Encode(c.Cloud); err != nil {
			return nil, false, fmt.Errorf("encode cloud %s: %w", c.Name, err)
		}
		have := mappingValue(section, c.Name)
		if have == nil {
			section.Content = append(section.Content, scalar(c.Name), &want)
			changed = true
			continue
		}
		if same, err := sameYAML(have, &want); err != nil || !same {
			*have = want
			changed = true
		}
	}
	if !changed {
		return existing, false, nil
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, false, fmt.Errorf("encode clouds.yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, false, fmt.Errorf("encode clouds.yaml: %w", err)
	}
	return b.Bytes(), true, nil
}

// mappingValue is the value node of key in mapping m; nil when absent.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

// sameYAML compares two nodes by the data they hold (types included:
// identity_api_version '3' is not 3), not by their layout.
func sameYAML(a, b *yaml.Node) (bool, error) {
	var va, vb any
	if err := a.Decode(&va); err != nil {
		return false, err
	}
	if err := b.Decode(&vb); err != nil {
		return false, err
	}
	return reflect.DeepEqual(va, vb), nil
}

// yamlProblem is a YAML error without the library's "yaml: " prefix.
func yamlProblem(err error) string {
	msg := err.Error()
	if len(msg) > 6 && msg[:6] == "yaml: " {
		return msg[6:]
	}
	return msg
}

// wantedClouds are post-setup's two clouds.yaml entries.
func (p *postSetup) wantedClouds() []NamedCloud {
	entry := func(user, password, project string) Cloud {
		return Cloud{
			Auth: CloudAuth{AuthURL: p.o.Admin.AuthURL, Username: user, Password: password, ProjectName: project,
				UserDomainName: "Default", ProjectDomainName: "Default"},
			RegionName: p.o.Region, Interface: "public", IdentityAPIVersion: 3,
		}
	}
	return []NamedCloud{
		{AdminCloud, entry(p.o.Admin.Username, p.o.Admin.Password, p.o.Admin.Project)},
		{UserCloud, entry(HotstackUser, p.o.UserPassword, HotstackProject)},
	}
}

// readFiles reads clouds.yaml and cloud-secret.yaml before anything
// changes: a clouds.yaml that does not parse stops the run here, with
// nothing written anywhere.
func (p *postSetup) readFiles(context.Context) error {
	if p.o.CloudsFile != "" {
		data, err := os.ReadFile(p.o.CloudsFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("read %s: %w", p.o.CloudsFile, err)
		default:
			if _, _, err := MergeClouds(data, p.wantedClouds()); err != nil {
				return fmt.Errorf("%s: %v; fix or move the file, then run post-setup again (nothing was changed)", p.o.CloudsFile, err)
			}
			p.clouds = data
		}
	}
	if p.o.CloudSecretFile != "" {
		data, err := os.ReadFile(p.o.CloudSecretFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("read %s: %w", p.o.CloudSecretFile, err)
		default:
			// One that does not parse is ours and is rewritten, with a new
			// credential.
			p.secretFile, _ = ParseCloudSecret(data)
		}
	}
	return nil
}

// writeClouds merges the two entries into clouds.yaml (mode 0600).
func (p *postSetup) writeClouds(context.Context) error {
	if p.o.CloudsFile == "" {
		return nil
	}
	what := "file " + p.o.CloudsFile
	data, changed, err := MergeClouds(p.clouds, p.wantedClouds())
	if err != nil {
		return fmt.Errorf("%s: %v", p.o.CloudsFile, err)
	}
	detail := fmt.Sprintf("clouds %s and %s, mode 0600", AdminCloud, UserCloud)
	return p.writeFile(what, p.o.CloudsFile, data, changed || p.clouds == nil, detail)
}

// writeCloudSecret writes cloud-secret.yaml for s (mode 0600). A file
// already holding s is left alone unless force.
func (p *postSetup) writeCloudSecret(s CloudSecret, force bool) error {
	what := "file " + p.o.CloudSecretFile
	changed := force || p.secretFile == nil || *p.secretFile != s
	err := p.writeFile(what, p.o.CloudSecretFile, CloudSecretYAML(s), changed,
		"HotStack's cloud-secret.yaml: the application credential, mode 0600")
	if err == nil {
		p.secretFile = &s
	}
	return err
}

// writeFile writes data to path atomically with mode 0600 when changed
// (or when the file is missing or has another mode), and records it.
func (p *postSetup) writeFile(what, path string, data []byte, changed bool, detail string) error {
	fi, statErr := os.Stat(path)
	exists := statErr == nil
	if exists && !changed && fi.Mode().Perm() == secretFileMode {
		p.record(Exists, what, "")
		return nil
	}
	if !exists || changed {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		if _, err := atomicfile.Write(path, data, atomicfile.Options{Perm: secretFileMode}); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	} else if err := os.Chmod(path, secretFileMode); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	if exists {
		p.record(Updated, what, detail)
	} else {
		p.record(Created, what, detail)
	}
	return nil
}

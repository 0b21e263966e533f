package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// problems parses env and returns its validation problems, one string each.
func problems(t *testing.T, env string, opt Options) []string {
	t.Helper()
	_, err := Parse(".env", []byte(env), BaseKeys().With(Key{Name: "KEYSTONE_IMAGE", Kind: Image, Default: "localhost/hotstack-os_keystone:latest"}), opt)
	if err == nil {
		return nil
	}
	var ve ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	out := make([]string, len(ve))
	for i, e := range ve {
		out[i] = e.Error()
	}
	return out
}

// wantOnly fails unless env gives exactly the problems want (substrings,
// one per problem, in order).
func wantOnly(t *testing.T, env string, want ...string) {
	t.Helper()
	got := problems(t, env, testOpts)
	if len(got) != len(want) {
		t.Fatalf("%.80q: got %d problem(s), want %d:\n  %.300s", env, len(got), len(want), strings.Join(got, "\n  "))
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("%.80q: problem %d\n  %.300s\ndoes not contain\n  %s", env, i, got[i], want[i])
		}
	}
}

func TestValuesAreUTF8WithoutControlCharacters(t *testing.T) {
	wantOnly(t, "REGION_NAME=Region\xffOne\n", `.env:1: REGION_NAME: value is not valid UTF-8 (byte 0xff at offset 6)`)
	wantOnly(t, "# c\nDB_PASSWORD=a\tb\n", `.env:2: DB_PASSWORD: value holds a control character (U+0009 at offset 1)`)
	wantOnly(t, "CHASSIS_HOSTNAME=host\x1b[0m\n", `.env:1: CHASSIS_HOSTNAME: value holds a control character (U+001B at offset 4)`)
	wantOnly(t, "REGION_NAME=x\x7f\n", `.env:1: REGION_NAME: value holds a control character (U+007F`)
	wantOnly(t, "REGION_NAME=Région-Ünö\n") // UTF-8 letters are fine
}

func TestPathsPodmanAndExportsCanCarry(t *testing.T) {
	for _, c := range []rune{' ', ':', ',', '#', '"', '\\', '\'', '%', '$', '*', '=', '!'} {
		bad := "/srv/a" + string(c) + "b"
		wantOnly(t, "HOTSTACK_DATA_DIR="+bad+"\n", fmt.Sprintf(".env:1: HOTSTACK_DATA_DIR: %q holds %q", bad, c))
	}
	wantOnly(t, "CINDER_NFS_EXPORT_DIR=/srv/nfs share\n", `.env:1: CINDER_NFS_EXPORT_DIR: "/srv/nfs share" holds ' '`)
	wantOnly(t, "HOTSTACK_DATA_DIR=/srv/Hot.Stack_data-1+x@y\n")
}

func TestImageReferencesFollowTheReferenceGrammar(t *testing.T) {
	for _, bad := range []string{"not an image!!", "--privileged", "-v", "Localhost/UPPER:latest", "localhost/x:", "x@sha256:abc", "localhost/x:tag with space"} {
		got := problems(t, "KEYSTONE_IMAGE="+bad+"\n", testOpts)
		if len(got) != 1 || !strings.Contains(got[0], fmt.Sprintf(".env:1: KEYSTONE_IMAGE: %q is not an image reference", bad)) {
			t.Errorf("%q: %v", bad, got)
		}
	}
	if got := problems(t, "KEYSTONE_IMAGE=--privileged\n", testOpts); len(got) != 1 || !strings.Contains(got[0], "starts with '-'") {
		t.Errorf("--privileged: %v", got)
	}
	for _, good := range []string{"docker.io/library/mariadb:11.4", "localhost/hotstack-os_keystone:latest", "mariadb", "localhost:5000/team/img:v1.2",
		"quay.io/a/b@sha256:" + strings.Repeat("ab", 32), "quay.io/a/b:1@sha256:" + strings.Repeat("cd", 32)} {
		if got := problems(t, "KEYSTONE_IMAGE="+good+"\n", testOpts); got != nil {
			t.Errorf("%q refused: %v", good, got)
		}
	}
}

func TestNonSecretKeyMustNotTakeASecretByReference(t *testing.T) {
	wantOnly(t, "REGION_NAME=${KEYSTONE_ADMIN_PASSWORD}\n",
		".env:1: REGION_NAME: takes the value of the secret KEYSTONE_ADMIN_PASSWORD (through ${KEYSTONE_ADMIN_PASSWORD})")
	// Through another key, and embedded in a longer value.
	wantOnly(t, "DB_PASSWORD=s3cret\nREGION_NAME=r-${CHASSIS_HOSTNAME}\nCHASSIS_HOSTNAME=h-${DB_PASSWORD}\n",
		".env:2: REGION_NAME: takes the value of the secret DB_PASSWORD (through ${CHASSIS_HOSTNAME})",
		".env:3: CHASSIS_HOSTNAME: takes the value of the secret DB_PASSWORD (through ${DB_PASSWORD})")
	// Secrets may share a value by reference; non-secrets may feed secrets.
	wantOnly(t, "SERVICE_PASSWORD=${DB_PASSWORD}\nDB_PASSWORD=${REGION_NAME}-x\n")
}

func TestSystemDirectoriesAreRefused(t *testing.T) {
	opt := testOpts
	opt.HomeDirs = func() []string { return []string{"/home/alice", "/srv/users/bob", "/"} }
	for _, dir := range []string{"/", "/etc", "/usr", "/var", "/var/lib", "/home", "/root", "/opt", "/srv", "/boot", "/tmp", "/run", "/var/tmp",
		"/usr/local", "/home/alice", "/srv/users", "/srv/users/bob"} {
		got := problems(t, "HOTSTACK_DATA_DIR="+dir+"\n", opt)
		if len(got) != 1 || !strings.HasPrefix(got[0], ".env:1: HOTSTACK_DATA_DIR: ") || !strings.Contains(got[0], "system or home directory") {
			t.Errorf("HOTSTACK_DATA_DIR=%s: %v", dir, got)
		}
	}
	if got := problems(t, "NOVA_INSTANCES_PATH=/var/lib\n", opt); len(got) != 1 || !strings.Contains(got[0], ".env:1: NOVA_INSTANCES_PATH: \"/var/lib\" is a system or home directory") {
		t.Errorf("NOVA_INSTANCES_PATH=/var/lib: %v", got)
	}
	for _, dir := range []string{"/var/lib/hotstack-os", "/srv/hotstack", "/home/alice/hotstack", "/opt/hotstack-os/data"} {
		if got := problems(t, "HOTSTACK_DATA_DIR="+dir+"\n", opt); got != nil {
			t.Errorf("HOTSTACK_DATA_DIR=%s refused: %v", dir, got)
		}
	}
}

// TestErrorsNameTheKeyTheUserWrote: a problem in a key derived from the
// user's value (NOVA_INSTANCES_PATH=${HOTSTACK_DATA_DIR}/...) is reported on
// the key and line the user wrote.
func TestErrorsNameTheKeyTheUserWrote(t *testing.T) {
	wantOnly(t, "# data\nHOTSTACK_DATA_DIR=/\n", `.env:2: HOTSTACK_DATA_DIR: "/" is a system or home directory`)
	wantOnly(t, "\nHOTSTACK_DATA_DIR=/srv/a:b\n", `.env:2: HOTSTACK_DATA_DIR: "/srv/a:b" holds ':'`)
	wantOnly(t, "HOTSTACK_DATA_DIR=/srv/x/\n", `.env:1: HOTSTACK_DATA_DIR: "/srv/x/" is not clean; write "/srv/x"`)
}

func TestParserEdgeCases(t *testing.T) {
	long := "DB_PASSWORD=" + strings.Repeat("x", 2<<20) + "\n"
	wantOnly(t, "REGION_NAME=r\n"+long, fmt.Sprintf(".env:2: DB_PASSWORD: line is %d bytes long; a line may hold at most 4096 bytes", len(long)-1))
	wantOnly(t, "\ufeffREGION_NAME=r\n", ".env:1: the file starts with a UTF-8 byte order mark (BOM); save it without one")
	wantOnly(t, `DB_PASSWORD="abc" def`+"\n", `.env:1: DB_PASSWORD: text follows the closing quote (" def"); put the whole value inside the quotes`)
	wantOnly(t, "DB_PASSWORD='abc\n", ".env:1: DB_PASSWORD: opening ' has no closing ' on the same line (values cannot span lines)")

	c, err := Parse(".env", []byte("DB_PASSWORD=one\nREGION_NAME=r\nDB_PASSWORD=two\n"), BaseKeys(), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if c.Get("DB_PASSWORD") != "two" || !slices.Equal(c.Warnings, []string{".env:3: DB_PASSWORD: set again (first on line 1); the value on line 3 is used"}) {
		t.Fatalf("duplicate: %q %q", c.Get("DB_PASSWORD"), c.Warnings)
	}
}

func TestDefaultSecretsAreNamed(t *testing.T) {
	c, err := Parse(".env", []byte("ALLOW_PUBLISHED_PASSWORDS=true\nDB_PASSWORD=openstack\nKEYSTONE_ADMIN_PASSWORD=admin\nSERVICE_PASSWORD=mine\n"), testKeys(), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	// The keys the file wrote, not those that inherit the value.
	want := []string{"KEYSTONE_ADMIN_PASSWORD", "DB_PASSWORD"}
	if got := c.DefaultSecrets(); !slices.Equal(got, want) {
		t.Fatalf("DefaultSecrets = %v, want %v", got, want)
	}
}

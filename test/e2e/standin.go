//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/stack"
)

// standinScript is the entrypoint of every stand-in container. It becomes
// ready (the health shims succeed) after STANDIN_READY_DELAY seconds, and
// supports the failure modes the e2e scenarios provoke:
//
//	STANDIN_MODE=normal      ready after the delay, exits 143 on SIGTERM
//	STANDIN_MODE=never       runs but never becomes ready
//	STANDIN_MODE=exit        exits 1 at once
//	STANDIN_MODE=exitafter   exits 1 after STANDIN_EXIT_AFTER seconds
//	STANDIN_MODE=ignoreterm  ignores SIGTERM (must be killed)
//
// and, in any mode, the dependency behaviour of a real service:
//
//	STANDIN_LISTEN=PORT      accepts TCP connections on PORT (MariaDB's 3306)
//	STANDIN_NEEDS=IP:PORT    exits 1 at once when IP:PORT does not answer,
//	                         and as soon as it stops answering (checked
//	                         every 2 s)
const standinScript = `#!/bin/sh
mode="${STANDIN_MODE:-normal}"
delay="${STANDIN_READY_DELAY:-0}"
needs="${STANDIN_NEEDS:-}"
name="$(hostname)"
echo "standin: $name mode=$mode delay=${delay}s args: $*"
if [ -n "${STANDIN_LISTEN:-}" ]; then
  busybox nc -ll -p "$STANDIN_LISTEN" -e /bin/true &
  echo "standin: $name listens on $STANDIN_LISTEN"
fi
reachable() { [ -z "$needs" ] || busybox nc -w 2 "${needs%:*}" "${needs##*:}" </dev/null >/dev/null 2>&1; }
if ! reachable; then echo "standin: $name cannot reach $needs; exiting with code 1"; exit 1; fi
case "$mode" in
  exit) echo "standin: $name exiting at once with code 1"; exit 1 ;;
  ignoreterm) trap 'echo "standin: $name ignores SIGTERM"' TERM ;;
  *) trap 'echo "standin: $name got SIGTERM"; exit 143' TERM ;;
esac
ready() {
  # The health gates connect to the service's port at its container
  # address before probing inside: a ready stand-in with an address of
  # its own accepts them. One on the host's network (it sees the host's
  # hot-ex) has no gate and must not take the host's ports (haproxy
  # publishes the API ports there).
  # Each connection gets an HTTP answer (the gates of the API services
  # ask for one from the host) and is kept until the client closes it.
  if [ ! -e /sys/class/net/hot-ex ]; then
    for p in @GATED_PORTS@; do
      [ "$p" = "${STANDIN_LISTEN:-}" ] || busybox nc -ll -p "$p" -e /answer 2>/dev/null &
    done
  fi
  # As a real worker, hold a connection to the RabbitMQ its configuration
  # names: the gates of the RPC workers look for it.
  rabbit="$(cat /etc/hotstack-os/secrets/*.conf 2>/dev/null | grep -o -m 1 '@[0-9.]*:5672')"
  if [ -n "$rabbit" ] && [ ! -e /sys/class/net/hot-ex ]; then
    rabbit="${rabbit#@}"
    (until busybox nc -w 2 "${rabbit%:*}" 5672 </dev/null >/dev/null 2>&1; do sleep 1; done
     sleep 2147483647 | busybox nc "${rabbit%:*}" 5672 >/dev/null 2>&1) &
  fi
  mkdir -p /run/ovn 2>/dev/null
  echo 1 > "/run/ovn/$name.pid" 2>/dev/null
  touch /tmp/ready
  echo "standin: $name ready"
}
if [ "$mode" != never ]; then
  if [ "$delay" = 0 ]; then ready; else (sleep "$delay"; ready) & fi
fi
if [ "$mode" = exitafter ]; then
  (sleep "${STANDIN_EXIT_AFTER:-1}"; echo "standin: $name exiting after ${STANDIN_EXIT_AFTER:-1}s with code 1"; kill -USR1 1) &
  trap 'exit 1' USR1
fi
n=0
while :; do
  sleep 1 & wait $!
  n=$((n + 1))
  if [ -n "$needs" ] && [ $((n % 2)) = 0 ] && ! reachable; then
    echo "standin: $name lost $needs; exiting with code 1"; exit 1
  fi
done
`

// answerScript serves one connection to a gated port: an HTTP answer,
// then it waits until the client closes.
const answerScript = "#!/bin/sh\nprintf 'HTTP/1.0 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n'\nexec cat >/dev/null\n"

// readyShim answers a health command: success once the stand-in is ready.
const readyShim = "#!/bin/sh\n[ -f /tmp/ready ]\n"

// ssShim prints listening sockets on every port a health command greps for.
const ssShim = "#!/bin/sh\n[ -f /tmp/ready ] || exit 0\nfor p in 53 5000 6080 6641 6642 8404 11211; do echo \"LISTEN 0 128 0.0.0.0:$p 0.0.0.0:*\"; done\n"

// healthShims are the commands the units' health checks run.
func healthShims() map[string]string {
	return map[string]string{
		"/usr/bin/curl":                              readyShim,
		"/usr/bin/nc":                                readyShim,
		"/usr/local/bin/healthcheck.sh":              readyShim,
		"/usr/local/bin/keystone-healthcheck.sh":     readyShim,
		"/usr/local/bin/nova-compute-healthcheck.sh": readyShim,
		"/usr/bin/cinder-volume":                     readyShim,
		"/usr/bin/ss":                                ssShim,
	}
}

// gatedPorts are the ports of the services' health gates (stack.Health.Port).
func gatedPorts() string {
	var ports []string
	for _, svc := range stack.Services() {
		if svc.Health.Port > 0 {
			ports = append(ports, strconv.Itoa(svc.Health.Port))
		}
	}
	return strings.Join(ports, " ")
}

func busyboxApplets() []string {
	return []string{"sh", "ash", "test", "[", "cat", "kill", "sleep", "grep", "touch", "echo", "env", "ls",
		"mkdir", "rm", "printf", "printenv", "true", "false", "id", "ps", "hostname", "date", "wc"}
}

// standinTar builds the stand-ins' root filesystem: busybox, the stand-in
// entrypoint, the health shims and every --entrypoint path the units use.
func standinTar(t *testing.T, entrypoints []string) []byte {
	t.Helper()
	busybox, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static: %v", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(name string, mode int64) {
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode})
	}
	file := func(name string, mode int64, data []byte) {
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data))})
		_, _ = tw.Write(data)
	}
	for _, d := range []string{"bin", "usr", "usr/bin", "usr/local", "usr/local/bin", "usr/sbin", "sbin", "etc", "run", "proc", "sys", "dev", "var", "var/lib", "root"} {
		dir(d, 0o755)
	}
	dir("tmp", 0o1777)
	file("bin/busybox", 0o755, busybox)
	for _, a := range busyboxApplets() {
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a, Linkname: "busybox", Mode: 0o777})
	}
	file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\n"))
	file("etc/group", 0o644, []byte("root:x:0:\n"))
	file("standin", 0o755, []byte(strings.Replace(standinScript, "@GATED_PORTS@", gatedPorts(), 1)))
	file("answer", 0o755, []byte(answerScript))
	for path, body := range healthShims() {
		file(strings.TrimPrefix(path, "/"), 0o755, []byte(body))
	}
	for _, ep := range entrypoints {
		file(strings.TrimPrefix(ep, "/"), 0o755, []byte("#!/bin/sh\nexec /standin \"$@\"\n"))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var (
	imageRe      = regexp.MustCompile(`(?m)^ExecStart=/usr/bin/podman run .* ((?:localhost|docker\.io)/\S+)`)
	entrypointRe = regexp.MustCompile(`--entrypoint (\S+)`)
)

// unitImages reads, from the installed units, every image and entrypoint
// they use, so the stand-ins carry exactly the names the units ask for.
func (b *Box) unitImages(t *testing.T, unitDir string) (images, entrypoints []string) {
	t.Helper()
	out := b.MustExec(t, "sh", "-c", "cat "+unitDir+"/hotstack-os-*.service")
	seenI, seenE := map[string]bool{}, map[string]bool{}
	for _, m := range imageRe.FindAllStringSubmatch(out, -1) {
		if !seenI[m[1]] {
			seenI[m[1]] = true
			images = append(images, m[1])
		}
	}
	for _, m := range entrypointRe.FindAllStringSubmatch(out, -1) {
		if !seenE[m[1]] {
			seenE[m[1]] = true
			entrypoints = append(entrypoints, m[1])
		}
	}
	sort.Strings(images)
	return images, entrypoints
}

// ImportStandins imports the stand-in rootfs under every image name in
// names, with env (e.g. STANDIN_READY_DELAY=2) baked in. The tarball goes
// through stdin: the box has its own /tmp.
func (b *Box) ImportStandins(t *testing.T, tarball []byte, names []string, env ...string) {
	t.Helper()
	for _, name := range names {
		args := []string{"import", "--change", `ENTRYPOINT ["/standin"]`,
			"--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"}
		for _, e := range env {
			args = append(args, "--change", "ENV "+e)
		}
		args = append(args, "-", name)
		cmd := b.Command(nil, "podman", args...)
		cmd.Stdin = bytes.NewReader(tarball)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("podman import %s: %v\n%s", name, err, out)
		}
	}
}

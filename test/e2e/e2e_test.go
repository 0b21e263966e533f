//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/testrun"
	"github.com/hotstack-os/hotstack-os/stack"
)

// TestOperatorJourney runs the scenarios in the order an operator meets
// them, on one box: install and start, down and up, timing, faults,
// secrets, uninstall. Each step depends on the ones before.
func TestOperatorJourney(t *testing.T) {
	s := NewStack(t, "")
	hostsBefore := s.MustExec(t, "cat", "/etc/hosts")
	exportsBefore := s.MustExec(t, "cat", "/etc/exports")

	step(t, "install and start", func(t *testing.T) {
		took := s.timeStart(t)
		t.Logf("systemctl start hotstack-os.target (instant stand-ins): %s", took)
		s.requireAllHealthy(t)
	})

	step(t, "down restores host files", func(t *testing.T) {
		out := s.MustMage(t, nil, "down")
		t.Logf("%s", lastLine(out))
		s.requireAllInactive(t)
		if got := s.MustExec(t, "cat", "/etc/hosts"); got != hostsBefore {
			t.Errorf("/etc/hosts after down:\n%q\nbefore:\n%q", got, hostsBefore)
		}
		if got := s.MustExec(t, "cat", "/etc/exports"); got != exportsBefore {
			t.Errorf("/etc/exports after down:\n%q\nbefore:\n%q", got, exportsBefore)
		}
	})

	step(t, "up brings every service up", func(t *testing.T) {
		out, took := s.mageUp(t)
		t.Logf("mage up (instant stand-ins): %s: %s", took, lastLine(out))
		s.requireAllHealthy(t)
	})

	step(t, "up again restarts nothing", func(t *testing.T) {
		before := s.startTimestamps(t)
		out, took := s.mageUp(t)
		if !strings.Contains(out, "nothing started") {
			t.Errorf("second up did not say nothing started:\n%s", out)
		}
		if after := s.startTimestamps(t); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("units restarted:\nbefore %v\nafter  %v", before, after)
		}
		t.Logf("idempotent mage up: %s", took)
	})

	step(t, "plan", func(t *testing.T) {
		out, _, err := s.Mage(nil, "plan")
		if err != nil {
			t.Fatalf("plan on an installed, healthy stack: %v (want exit 0)\n%s", err, out)
		}
		// Edit .env without installing: plan must show it, and exit 2.
		s.WriteFile(t, s.EnvFile, baseEnv+"REGION_NAME=RegionTwo\nDB_PASSWORD=zqPlanSecretzq\n", 0o600)
		out, _, err = s.Mage(nil, "plan")
		if code := exitCode(err); code != 2 {
			t.Fatalf("plan after a .env change exited %d, want 2:\n%s", code, out)
		}
		for _, want := range []string{"+REGION_NAME='RegionTwo'", "-REGION_NAME='RegionOne'", "(value changed)"} {
			if !strings.Contains(out, want) {
				t.Errorf("plan output lacks %q", want)
			}
		}
		if strings.Contains(out, "zqPlanSecretzq") || strings.Contains(out, "openstack") && strings.Contains(out, "DB_PASSWORD=\"openstack") {
			t.Errorf("plan shows a secret:\n%s", out)
		}
		t.Logf("plan after a .env change:\n%s", tail(out, 25))
		s.WriteFile(t, s.EnvFile, baseEnv, 0o600)
	})

	s.checkConverge(t)

	step(t, "logs", func(t *testing.T) {
		out, _, err := s.Mage([]string{"HOTSTACK_LOGS_FOLLOW=0", "HOTSTACK_LOGS_LINES=5000"}, "logs")
		if err != nil {
			t.Fatalf("mage logs: %v\n%s", err, out)
		}
		for _, want := range []string{"keystone           | ", "mariadb            | ", "nova-compute       | "} {
			if !strings.Contains(out, want) {
				t.Errorf("logs lack lines of %q:\n%s", want, tail(out, 10))
			}
		}
		one, _, err := s.Mage([]string{"HOTSTACK_LOGS_FOLLOW=0", "HOTSTACK_LOGS_LINES=5000"}, "logs", "keystone")
		if err != nil || !strings.Contains(one, "keystone           | ") || strings.Contains(one, "mariadb            | ") {
			t.Errorf("mage logs keystone: %v\n%s", err, tail(one, 10))
		}
		// Following: a line written after the start shows up.
		cmd := s.Command([]string{"HOTSTACK_ENV=" + s.EnvFile, "HOTSTACK_LOGS_LINES=0"}, s.MageBin, "logs", "heat-api")
		var buf safeBuffer
		cmd.Stdout = &buf
		cmd.WaitDelay = 2 * time.Second
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		s.MustExec(t, "systemctl", "restart", "hotstack-os-heat-api.service")
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) && !strings.Contains(buf.String(), "Started hotstack-os-heat-api") {
			time.Sleep(200 * time.Millisecond)
		}
		// nsenter forks the command into the box: stop it there.
		_, _ = s.Exec("pkill", "-INT", "-f", "mage logs heat-api")
		_ = cmd.Wait()
		if !strings.Contains(buf.String(), "Started hotstack-os-heat-api") {
			t.Errorf("following logs missed the restart:\n%s", tail(buf.String(), 10))
		}
	})

	step(t, "timing", func(t *testing.T) {
		for _, delay := range []int{0, 2} {
			if delay > 0 {
				s.ImportStandins(t, s.tarball, s.images, fmt.Sprintf("STANDIN_READY_DELAY=%d", delay))
			}
			s.MustMage(t, nil, "down")
			unitsTook := s.timeStart(t)
			s.requireAllHealthy(t)
			s.MustMage(t, nil, "down")
			_, mageTook := s.mageUp(t)
			s.requireAllHealthy(t)
			line := fmt.Sprintf("TIMING stand-ins ready at %ds: systemctl start hotstack-os.target %.2fs, mage up %.2fs, ratio %.2f",
				delay, unitsTook.Seconds(), mageTook.Seconds(), unitsTook.Seconds()/mageTook.Seconds())
			if delay == 0 {
				line += fmt.Sprintf("; the original units take 86.5s here: mage up is %.1fx faster", 86.5/mageTook.Seconds())
			}
			t.Log(line)
			fmt.Println(line)
		}
		s.ImportStandins(t, s.tarball, s.images)
	})

	// Fault images: the same stand-in with a failure mode baked in.
	for _, mode := range []string{"never", "exit", "ignoreterm"} {
		s.ImportStandins(t, s.tarball, []string{"localhost/hotstack-os-standin:" + mode}, "STANDIN_MODE="+mode)
	}

	step(t, "a dead container is reported as dead, not at its deadline", func(t *testing.T) {
		s.withEnv(t, "NOVA_COMPUTE_IMAGE=localhost/hotstack-os-standin:exit\n")
		s.MustMage(t, nil, "down")
		out, _, err := s.Mage([]string{"HOTSTACK_LOG_FORMAT=json"}, "up")
		if err == nil {
			t.Fatalf("up succeeded with a dying nova-compute:\n%s", out)
		}
		started, failed := eventTime(out, "nova-compute", "starting"), eventTime(out, "nova-compute", "failed")
		if started.IsZero() || failed.IsZero() {
			t.Fatalf("no start/failure events for nova-compute:\n%s", out)
		}
		took := failed.Sub(started)
		t.Logf("dead nova-compute reported %s after its start (the original needs 70 s)", took.Round(time.Millisecond))
		// Reported as dead, not at its health deadline (85 s): the bound
		// is loose on purpose, a busy 2-core machine stretches the clock.
		if took > 30*time.Second {
			t.Errorf("took %s: reported at its deadline, not as soon as it died", took)
		}
		if !strings.Contains(out, "nova-compute") || !strings.Contains(out, "journal lines") || !strings.Contains(out, "exiting at once") {
			t.Errorf("report lacks the service, or its journal tail:\n%s", out)
		}
	})

	step(t, "a service that never becomes healthy fails within its deadline", func(t *testing.T) {
		s.withEnv(t, "MEMCACHED_IMAGE=localhost/hotstack-os-standin:never\n")
		s.MustMage(t, nil, "down")
		out, took, err := s.Mage(nil, "up")
		if err == nil {
			t.Fatalf("up succeeded with a never-healthy memcached:\n%s", out)
		}
		// memcached's deadline: start period 0 + 3 retries x 10 s + 5 s timeout.
		if took > 35*time.Second+45*time.Second {
			t.Errorf("failed after %s, beyond memcached's 35 s deadline", took)
		}
		for _, want := range []string{"service memcached", "journal lines of hotstack-os-memcached.service", "deadline"} {
			if !strings.Contains(out, want) {
				t.Errorf("report lacks %q:\n%s", want, out)
			}
		}
		t.Logf("never-healthy memcached reported after %s:\n%s", took.Round(time.Millisecond), tail(out, 8))
	})

	step(t, "a container that ignores SIGTERM is killed after its stop timeout", func(t *testing.T) {
		s.withEnv(t, "HEAT_ENGINE_IMAGE=localhost/hotstack-os-standin:ignoreterm\n")
		s.MustMage(t, nil, "down")
		s.mageUp(t)
		start := time.Now()
		s.MustExec(t, "systemctl", "stop", "hotstack-os-heat-engine.service")
		took := time.Since(start)
		// At least the stop timeout (the kill comes after it); the upper
		// bound only catches a stop that never kills.
		if took < 10*time.Second || took > 60*time.Second {
			t.Errorf("stop took %s, want the 10 s stop timeout then a kill", took)
		}
		if out, _ := s.Exec("podman", "ps", "-q", "--filter", "name=hotstack-os-heat-engine"); strings.TrimSpace(out) != "" {
			t.Errorf("heat-engine container still running after stop")
		}
		t.Logf("SIGTERM-ignoring heat-engine stopped in %s", took.Round(time.Millisecond))
	})

	step(t, "a killed container is restarted by systemd", func(t *testing.T) {
		s.withEnv(t, "")
		s.MustMage(t, nil, "down")
		s.mageUp(t)
		s.MustExec(t, "podman", "kill", "hotstack-os-keystone")
		var seenRecovering bool
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			out, _, err := s.Mage([]string{"HOTSTACK_OUTPUT=json"}, "status")
			row := statusRow(t, out, "keystone")
			if !row.Healthy {
				seenRecovering = true
			}
			if err == nil && row.Restarts >= 1 && row.Healthy {
				t.Logf("keystone back: %s after %d restart(s)", row.State, row.Restarts)
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if !seenRecovering {
			t.Error("status never showed keystone recovering")
		}
		s.requireAllHealthy(t)
	})

	step(t, "a MariaDB outage of more than two minutes heals by itself", func(t *testing.T) { s.checkOutage(t) })

	step(t, "two concurrent up start nothing twice", func(t *testing.T) {
		s.MustMage(t, nil, "down")
		since := "@" + strings.TrimSpace(s.MustExec(t, "date", "+%s"))
		var wg sync.WaitGroup
		outs := make([]string, 2)
		errs := make([]error, 2)
		for i := range outs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], _, errs[i] = s.Mage(nil, "up")
			}()
		}
		wg.Wait()
		for i := range outs {
			if errs[i] != nil {
				t.Fatalf("up #%d: %v\n%s", i, errs[i], outs[i])
			}
		}
		if !strings.Contains(outs[0]+outs[1], "waiting for it to finish") || !strings.Contains(outs[0]+outs[1], "nothing started") {
			t.Errorf("the second up neither waited nor found the stack up:\n%s\n---\n%s", outs[0], outs[1])
		}
		for _, svc := range []string{"mariadb", "keystone", "nova-compute"} {
			n := strings.Count(s.MustExec(t, "journalctl", "-u", "hotstack-os-"+svc+".service", "-o", "cat", "--since", since), "\nStarted ")
			if n != 1 {
				t.Errorf("%s started %d times", svc, n)
			}
		}
	})

	step(t, "secrets", func(t *testing.T) { s.checkSecrets(t, regionValue, nil) })

	step(t, "uninstall leaves nothing behind", func(t *testing.T) { s.checkUninstall(t) })
}

// exitCode is a command's exit status (0 for nil).
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// safeBuffer collects a command's output while the test reads it.
type safeBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// step runs one scenario; later steps need earlier ones, so a failure stops
// the journey.
//
// HOTSTACK_E2E_FOCUS=secrets,logs runs only the steps whose name contains one
// (after the first, which every step needs) when iterating on one scenario.
func step(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	s, err := testrun.SwitchesFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.E2EFocus) > 0 && name != "install and start" {
		match := false
		for _, f := range s.E2EFocus {
			match = match || strings.Contains(name, f)
		}
		if !match {
			// Skipped visibly: a step left out must not read as passed.
			t.Run(name, func(t *testing.T) { t.Skipf("not in HOTSTACK_E2E_FOCUS %v", s.E2EFocus) })
			return
		}
	}
	if !t.Run(name, f) {
		t.FailNow()
	}
}

func (s *Stack) timeStart(t *testing.T) time.Duration {
	t.Helper()
	// Starting by hand counts against the units' start limit; an operator
	// cycling the stack this often would reset it too.
	s.MustExec(t, "sh", "-c", "systemctl reset-failed 'hotstack-os*' || true")
	start := time.Now()
	if out, err := s.Exec("systemctl", "start", stack.TargetName); err != nil {
		t.Fatalf("systemctl start: %v\n%s\n%s", err, out, s.MustExec(t, "systemctl", "list-units", "hotstack-os*", "--no-pager", "--all"))
	}
	return time.Since(start)
}

func (s *Stack) mageUp(t *testing.T) (string, time.Duration) {
	t.Helper()
	out, took, err := s.Mage(nil, "up")
	if err != nil {
		t.Fatalf("mage up: %v\n%s", err, out)
	}
	return out, took
}

// withEnv rewrites the e2e .env with extra lines and reinstalls.
func (s *Stack) withEnv(t *testing.T, extra string) {
	t.Helper()
	s.WriteFile(t, s.EnvFile, baseEnv+extra, 0o600)
	s.MustMage(t, nil, "install")
}

// requireAllHealthy fails unless mage status says every service is healthy
// within 30 s: on a loaded machine one probe (a podman exec) may time out.
func (s *Stack) requireAllHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _, err := s.Mage(nil, "status")
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mage status: %v\n%s", err, out)
		}
		t.Logf("not all healthy yet (%v); asking again", err)
		time.Sleep(2 * time.Second)
	}
}

func (s *Stack) requireAllInactive(t *testing.T) {
	t.Helper()
	out := s.MustExec(t, "systemctl", "list-units", "hotstack-os*", "--no-pager", "--plain", "--no-legend", "--state=active,activating,failed")
	if strings.TrimSpace(out) != "" {
		t.Fatalf("units still active after down:\n%s", out)
	}
}

// startTimestamps are every unit's ExecMainStartTimestamp, in
// microseconds (monotonic): a unit that restarts gets a new one.
func (s *Stack) startTimestamps(t *testing.T) map[string]string {
	t.Helper()
	out := s.MustExec(t, "sh", "-c", "systemctl show -p Id -p ExecMainStartTimestampMonotonic 'hotstack-os-*'")
	m := map[string]string{}
	// One block per unit, blank-line separated, properties in systemd's
	// order (not the order asked).
	for block := range strings.SplitSeq(out, "\n\n") {
		var id, ts string
		for line := range strings.SplitSeq(block, "\n") {
			if v, ok := strings.CutPrefix(line, "Id="); ok {
				id = v
			}
			if v, ok := strings.CutPrefix(line, "ExecMainStartTimestampMonotonic="); ok {
				ts = v
			}
		}
		if id != "" {
			m[id] = ts
		}
	}
	if len(m) != 23 {
		t.Fatalf("start timestamps of %d units, want 23:\n%s", len(m), out)
	}
	return m
}

// restartedUnits are the units whose start timestamp moved.
func restartedUnits(before, after map[string]string) []string {
	var out []string
	for unit, ts := range after {
		if before[unit] != ts {
			out = append(out, unit)
		}
	}
	slices.Sort(out)
	return out
}

type statusJSON struct {
	Service  string `json:"service"`
	State    string `json:"state"`
	Healthy  bool   `json:"healthy"`
	Restarts int    `json:"restarts"`
	Retrying bool   `json:"retrying"`
	LastExit string `json:"last_exit"`
	LastLog  string `json:"last_log"`
}

func statusRow(t *testing.T, out, service string) statusJSON {
	start := strings.Index(out, "[")
	end := strings.LastIndex(out, "]")
	var rows []statusJSON
	if start >= 0 && end > start {
		_ = json.Unmarshal([]byte(out[start:end+1]), &rows)
	}
	for _, r := range rows {
		if r.Service == service {
			return r
		}
	}
	return statusJSON{}
}

// eventTime finds the time of a JSON progress event.
func eventTime(out, service, state string) time.Time {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var ev struct {
			Service, State, Time string
		}
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Service == service && ev.State == state {
			ts, _ := time.Parse("2006-01-02T15:04:05.000Z07:00", ev.Time)
			return ts
		}
	}
	return time.Time{}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

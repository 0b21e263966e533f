package openstack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBootDiskLayout(t *testing.T) {
	disk := BootDisk()
	if len(disk) != 1<<20 {
		t.Fatalf("disk is %d bytes, want 1 MiB", len(disk))
	}
	if disk[510] != 0x55 || disk[511] != 0xAA {
		t.Errorf("boot signature is % X, want 55 AA", disk[510:512])
	}
	code := bootCode()
	if len(code) != bootMessageOffset {
		t.Errorf("code is %d bytes, but the message is at %#x", len(code), bootMessageOffset)
	}
	if !bytes.Equal(disk[:len(code)], code) {
		t.Errorf("code is % X, want % X", disk[:len(code)], code)
	}
	msg := BootMarker + "\r\n\x00"
	if got := string(disk[bootMessageOffset : bootMessageOffset+len(msg)]); got != msg {
		t.Errorf("message at %#x is %q, want %q", bootMessageOffset, got, msg)
	}
	for i, b := range disk[bootMessageOffset+len(msg) : mbrPartitionTable] {
		if b != 0 {
			t.Fatalf("padding byte at %#x is %#x, want 0", bootMessageOffset+len(msg)+i, b)
		}
	}
	// One partition, active Linux from sector 1 to the disk's end (what
	// Nova's image safety check wants of a disk with a boot signature),
	// and three empty entries.
	p := disk[mbrPartitionTable:]
	if p[0] != 0x80 || p[4] != 0x83 || binary.LittleEndian.Uint32(p[8:]) != 1 || binary.LittleEndian.Uint32(p[12:]) != 2047 {
		t.Errorf("first partition entry is % X, want active, type 83, LBA 1, 2047 sectors", p[:16])
	}
	if n := bytes.Count(p[16:64], []byte{0}); n != 48 {
		t.Errorf("the other three partition entries are not empty: % X", p[16:64])
	}
	if n := bytes.Count(disk[512:], []byte{0}); n != len(disk)-512 {
		t.Errorf("%d bytes after the boot sector are not zero", len(disk)-512-n)
	}
}

// TestBootCodeDecodes checks the hand-assembled program against its
// listing: the operands point where the comments say.
func TestBootCodeDecodes(t *testing.T) {
	code := bootCode()
	// mov si, imm16 at 0x06 must address the message where the BIOS loads it.
	if code[0x06] != 0xBE {
		t.Fatalf("opcode at 0x06 is %#x, want BE (mov si, imm16)", code[0x06])
	}
	if si := binary.LittleEndian.Uint16(code[0x07:]); si != bootLoadAddress+bootMessageOffset {
		t.Errorf("mov si loads %#x, want %#x", si, bootLoadAddress+bootMessageOffset)
	}
	if code[0x09] != 0xBA || binary.LittleEndian.Uint16(code[0x0A:]) != 0x3F8 {
		t.Errorf("mov dx at 0x09 is % X, want BA F8 03 (COM1)", code[0x09:0x0C])
	}
	jumps := []struct {
		at     int
		opcode byte
		target int
		lands  byte // the opcode expected at the target
	}{
		{0x0F, 0x74, 0x14, 0xF4}, // jz done -> hlt
		{0x12, 0xEB, 0x0C, 0xAC}, // jmp next -> lodsb
		{0x15, 0xEB, 0x14, 0xF4}, // jmp done -> hlt
	}
	for _, j := range jumps {
		if code[j.at] != j.opcode {
			t.Errorf("opcode at %#x is %#x, want %#x", j.at, code[j.at], j.opcode)
			continue
		}
		// rel8 counts from the next instruction, two bytes on.
		target := j.at + 2 + int(int8(code[j.at+1]))
		if target != j.target {
			t.Errorf("jump at %#x lands at %#x, want %#x", j.at, target, j.target)
		} else if code[target] != j.lands {
			t.Errorf("jump at %#x lands on %#x, want %#x", j.at, code[target], j.lands)
		}
	}
	if code[0x11] != 0xEE {
		t.Errorf("opcode at 0x11 is %#x, want EE (out dx, al)", code[0x11])
	}
}

// TestBootDiskBootsInQEMU boots the disk the way Nova's libvirt driver
// would (a raw disk, the serial port logged) and waits for the marker.
func TestBootDiskBootsInQEMU(t *testing.T) {
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("qemu-system-x86_64 is not installed")
	}
	path := filepath.Join(t.TempDir(), "smoke.raw")
	if err := os.WriteFile(path, BootDisk(), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// No -nographic: it already claims stdio for a serial+monitor mux, and
	// QEMU then refuses "-serial stdio" (multiple character devices).
	cmd := exec.CommandContext(ctx, qemu, "-no-reboot", "-serial", "stdio", "-display", "none",
		"-drive", "file="+path+",format=raw", "-m", "32", "-accel", "tcg")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The guest halts after the marker and never exits: stop QEMU as soon
	// as the marker is seen (or at the deadline).
	var serial strings.Builder
	found := false
	scan := bufio.NewScanner(out)
	for scan.Scan() {
		serial.WriteString(scan.Text() + "\n")
		if strings.Contains(scan.Text(), BootMarker) {
			found = true
			break
		}
	}
	cancel()
	_ = cmd.Wait() // killed on purpose
	if !found {
		t.Fatalf("no %q on the serial port within 20s; serial output:\n%s\nqemu stderr:\n%s", BootMarker, serial.String(), stderr.String())
	}
}

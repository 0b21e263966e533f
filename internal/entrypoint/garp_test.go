package entrypoint

import (
	"bytes"
	"net"
	"testing"
)

// TestARPFrame: a gratuitous ARP names the container's address as both
// sender and target, from its MAC, to everyone.
func TestARPFrame(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0x42, 0xac, 0x1f, 0x00, 0x03}
	ip := net.IPv4(172, 31, 0, 3)
	f := arpFrame(mac, ip, 1)
	if len(f) != 42 {
		t.Fatalf("frame of %d bytes, want 42", len(f))
	}
	want := []byte{
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x42, 0xac, 0x1f, 0x00, 0x03, 0x08, 0x06, // Ethernet
		0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01, // ARP request
		0x02, 0x42, 0xac, 0x1f, 0x00, 0x03, 172, 31, 0, 3, // sender
		0, 0, 0, 0, 0, 0, 172, 31, 0, 3, // target
	}
	if !bytes.Equal(f, want) {
		t.Errorf("frame\n% x\nwant\n% x", f, want)
	}
	if r := arpFrame(mac, ip, 2); r[21] != 2 || !bytes.Equal(r[32:38], broadcastMAC) {
		t.Errorf("reply % x", r)
	}
}

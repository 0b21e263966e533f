package openstack

// BootMarker is what the smoke image writes to the first serial port when
// a guest boots it. Finding it in a server's console log proves the whole
// path: image in Glance, disk on the hypervisor, BIOS, guest CPU, console.
const BootMarker = "hotstack-os smoke: guest booted"

// The layout of the smoke image's boot sector.
const (
	bootDiskSize      = 1 << 20 // Glance and Nova want whole, non-trivial sizes; 1 MiB is both
	sectorSize        = 512
	bootMessageOffset = 0x17 // right after bootCode
	bootLoadAddress   = 0x7C00
	mbrPartitionTable = 446 // four 16-byte entries before the signature
)

// firstPartition is the MBR's first partition entry: active, type 0x83
// (Linux), from sector 1 to the end of the disk, in LBA (CHS left zero,
// as for any disk past the CHS era).
func firstPartition() []byte {
	sectors := uint32(bootDiskSize/sectorSize - 1)
	return []byte{0x80, 0, 0, 0, 0x83, 0, 0, 0,
		1, 0, 0, 0, // first LBA
		byte(sectors), byte(sectors >> 8), byte(sectors >> 16), byte(sectors >> 24)}
}

// bootCode is an x86 real-mode program the BIOS loads at 0000:7C00. It
// boots no OS: it copies the NUL-terminated message at bootMessageOffset
// to COM1 and halts. No UART setup is needed: the emulated 16550 accepts
// bytes at any baud rate.
//
//	0x00  FA        cli
//	0x01  FC        cld                  ; lodsb counts up
//	0x02  31 C0     xor  ax, ax
//	0x04  8E D8     mov  ds, ax          ; DS=0: SI is a linear address
//	0x06  BE 17 7C  mov  si, 0x7C17      ; the message
//	0x09  BA F8 03  mov  dx, 0x3F8       ; COM1 data port
//	0x0C  AC        next: lodsb
//	0x0D  84 C0     test al, al
//	0x0F  74 03     jz   done            ; 0x11+3 = 0x14
//	0x11  EE        out  dx, al
//	0x12  EB F8     jmp  next            ; 0x14-8 = 0x0C
//	0x14  F4        done: hlt            ; interrupts are off: stays here
//	0x15  EB FD     jmp  done            ; 0x17-3 = 0x14, should an NMI wake it
func bootCode() []byte {
	return []byte{
		0xFA, 0xFC, 0x31, 0xC0, 0x8E, 0xD8,
		0xBE, 0x17, 0x7C, 0xBA, 0xF8, 0x03,
		0xAC, 0x84, 0xC0, 0x74, 0x03, 0xEE, 0xEB, 0xF8,
		0xF4, 0xEB, 0xFD,
	}
}

// BootDisk returns the smoke image: a 1 MiB raw disk, zero but for its
// boot sector, which prints BootMarker on the serial console. The sector
// is a proper MBR with one partition over the rest of the disk: Nova
// (2025.1, the fix for CVE-2024-32498) inspects a raw image that carries
// the boot signature as a partitioned disk and refuses one whose table is
// empty ("Image does not pass safety check").
func BootDisk() []byte {
	disk := make([]byte, bootDiskSize)
	copy(disk, bootCode())
	copy(disk[bootMessageOffset:], BootMarker+"\r\n\x00")
	copy(disk[mbrPartitionTable:], firstPartition())
	disk[sectorSize-2], disk[sectorSize-1] = 0x55, 0xAA // the BIOS boots only a signed sector
	return disk
}

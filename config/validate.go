package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// validate checks every key's value and the relations between keys. A
// problem with a key the file does not set, whose default derives from one
// it does (NOVA_INSTANCES_PATH from HOTSTACK_DATA_DIR), is reported on the
// key and line the user wrote, once.
func (c *Config) validate(opt Options) []*Error {
	var errs []*Error
	bad := func(key, format string, a ...any) {
		msg := fmt.Sprintf(format, a...)
		if o := c.origin(key, map[string]bool{}); o != "" && o != key {
			for _, e := range errs {
				if e.Key == o {
					return // the written key's own problem covers it
				}
			}
			msg = fmt.Sprintf("makes %s %q, which %s", key, c.values[key], msg)
			key = o
		}
		errs = append(errs, &Error{File: c.File, Line: c.lines[key], Key: key, Msg: msg})
	}
	addrs := map[string]netip.Addr{}
	nets := map[string]netip.Prefix{}
	homes := opt.HomeDirs
	if homes == nil {
		homes = passwdHomes
	}
	system := systemDirs(homes())
	var paths []string // the path keys whose values are otherwise valid

	for _, k := range c.schema {
		v, ok := c.values[k.Name]
		if !ok {
			continue // resolution already reported it
		}
		if msg := textProblem(v); msg != "" {
			bad(k.Name, "%s", msg)
			continue
		}
		if k.Kind != Secret {
			if secret, through := c.secretSource(k.Name, map[string]bool{}); secret != "" {
				bad(k.Name, "takes the value of the secret %s (through ${%s}); a setting that is not a secret is written to world-readable files, so it may not hold one", secret, through)
				continue
			}
		}
		switch k.Kind {
		case Secret:
			// An optional secret without a default may stay empty: the
			// program that uses it generates one (HOTSTACK_USER_PASSWORD).
			if v == "" && !opt.AllowEmptySecrets && !(k.Optional && k.Default == "") {
				bad(k.Name, "secret must not be empty")
			}
			if slices.Contains(PublishedPasswords, v) && c.values[AllowPublishedKey] != "true" {
				bad(k.Name, "%q is a published password, which anyone may try; delete the line to have one generated and kept, set your own, or set %s=true for a throwaway cloud", v, AllowPublishedKey)
			}
		case String:
			if v == "" {
				bad(k.Name, "must not be empty")
			}
		case Image:
			if msg := imageProblem(v); msg != "" {
				bad(k.Name, "%q is not an image reference: %s", v, msg)
			}
		case HostIP, ServiceIP:
			a, err := netip.ParseAddr(v)
			if err != nil || !a.Is4() {
				bad(k.Name, "%q is not an IPv4 address", v)
				continue
			}
			addrs[k.Name] = a
		case Network:
			p, err := netip.ParsePrefix(v)
			if err != nil || !p.Addr().Is4() {
				bad(k.Name, "%q is not an IPv4 network in CIDR form (e.g. 172.31.0.0/25)", v)
				continue
			}
			if p.Masked() != p {
				bad(k.Name, "%q has host bits set; the network is %s", v, p.Masked())
				continue
			}
			if p.Bits() > 30 {
				bad(k.Name, "%q is too small: /30 is the smallest usable network", v)
				continue
			}
			nets[k.Name] = p
		case Path:
			if msg := pathProblem(v, system); msg != "" {
				bad(k.Name, "%s", msg)
				continue
			}
			paths = append(paths, k.Name)
		case Int:
			n, err := strconv.Atoi(v)
			if err != nil {
				bad(k.Name, "%q is not a whole number", v)
			} else if n < k.Min || n > k.Max {
				bad(k.Name, "%d is outside %d..%d", n, k.Min, k.Max)
			}
		case Bool:
			if v != "true" && v != "false" {
				bad(k.Name, "%q must be true or false", v)
			}
		case Enum:
			if !slices.Contains(k.Choices, v) {
				bad(k.Name, "%q must be one of %s", v, strings.Join(k.Choices, ", "))
			}
		case VLANRanges:
			if msg := vlanRangesProblem(v); msg != "" {
				bad(k.Name, "%q: %s", v, msg)
			}
		case ImageSource:
			if msg := imageSourceProblem(v); msg != "" {
				bad(k.Name, "%q: %s", v, msg)
			}
		}
	}

	c.checkPaths(paths, opt.LookupPath, bad)
	if v := c.values["PATH_MTU"]; v != "" && v != "0" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 1280 {
			bad("PATH_MTU", "%d is below 1280, the smallest MTU IPv6 allows; 0 means GLOBAL_PHYSNET_MTU", n)
		}
	}
	cn, haveCN := nets["CONTAINER_NETWORK"]
	pn, havePN := nets["PROVIDER_NETWORK"]
	if haveCN && havePN && cn.Overlaps(pn) {
		bad("PROVIDER_NETWORK", "%s overlaps CONTAINER_NETWORK %s", pn, cn)
	}
	if brex, ok := addrs["BREX_IP"]; ok && havePN {
		if !pn.Contains(brex) {
			bad("BREX_IP", "%s is not inside PROVIDER_NETWORK %s", brex, pn)
		} else if reason := reservedIn(brex, pn); reason != "" && reason != "gateway address" {
			// BREX_IP is normally the first host: it is the provider gateway.
			bad("BREX_IP", "%s is the %s of PROVIDER_NETWORK %s", brex, reason, pn)
		}
	}
	if haveCN {
		dynamic := DynamicRange(cn)
		owner := map[netip.Addr]string{}
		for _, k := range c.schema {
			a, ok := addrs[k.Name]
			if k.Kind != ServiceIP || !ok {
				continue
			}
			switch {
			case !cn.Contains(a):
				bad(k.Name, "%s is not inside CONTAINER_NETWORK %s", a, cn)
			case reservedIn(a, cn) != "":
				bad(k.Name, "%s is the %s of CONTAINER_NETWORK %s", a, reservedIn(a, cn), cn)
			case dynamic.Contains(a):
				bad(k.Name, "%s is inside %s, the top quarter of CONTAINER_NETWORK that podman hands to containers without a fixed address; pick an address below %s", a, dynamic, dynamic.Addr())
			case owner[a] != "":
				// Blame the key the operator wrote, not the one left at
				// its default: the written line is the one to change.
				blamed, other := k.Name, owner[a]
				if c.lines[blamed] == 0 && c.lines[other] != 0 {
					blamed, other = other, blamed
				}
				if c.lines[other] == 0 {
					bad(blamed, "%s is already used by %s (its default)", a, other)
				} else {
					bad(blamed, "%s is already used by %s", a, other)
				}
			default:
				owner[a] = k.Name
			}
		}
	}
	return errs
}

// DynamicRange is the part of the container network from which podman
// assigns addresses to containers without a fixed one (haproxy): its top
// quarter. Keeping fixed addresses out of it means a container started
// first can never take the fixed address of one started a moment later.
func DynamicRange(cn netip.Prefix) netip.Prefix {
	bits := cn.Bits() + 2
	base := cn.Masked().Addr().As4()
	v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	v |= 3 << (32 - bits) // the last of the four quarters
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits)
}

// reservedIn names the role of a when it is the network, gateway (first
// host) or broadcast address of p, and returns "" otherwise.
func reservedIn(a netip.Addr, p netip.Prefix) string {
	network := p.Masked().Addr()
	switch a {
	case network:
		return "network address"
	case network.Next():
		return "gateway address"
	case Broadcast(p):
		return "broadcast address"
	}
	return ""
}

// Broadcast returns the last address of an IPv4 prefix.
func Broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// vlanRangesProblem checks neutron's network_vlan_ranges syntax for the one
// physical network the bridges map (provider): each item provider:MIN:MAX
// with 1 <= MIN <= MAX <= 4094. It returns "" when v is valid.
func vlanRangesProblem(v string) string {
	for item := range strings.SplitSeq(v, ",") {
		f := strings.Split(strings.TrimSpace(item), ":")
		if len(f) != 3 {
			return fmt.Sprintf("%q is not provider:MIN:MAX (e.g. provider:100:200)", item)
		}
		if f[0] != "provider" {
			return fmt.Sprintf("%q names physical network %q; the bridges map only \"provider\"", item, f[0])
		}
		lo, err1 := strconv.Atoi(f[1])
		hi, err2 := strconv.Atoi(f[2])
		switch {
		case err1 != nil || err2 != nil:
			return fmt.Sprintf("%q: VLAN IDs must be whole numbers", item)
		case lo < 1 || hi > 4094:
			return fmt.Sprintf("%q: VLAN IDs are 1..4094", item)
		case lo > hi:
			return fmt.Sprintf("%q: the range starts after it ends", item)
		}
	}
	return ""
}

// imageSourceProblem says why v is not an image source: an http(s) URL
// with a host, an absolute path, a file:// URL of one, or empty.
func imageSourceProblem(v string) string {
	switch {
	case v == "":
		return ""
	case strings.HasPrefix(v, "/"):
		return ""
	case strings.HasPrefix(v, "file://"):
		if !strings.HasPrefix(strings.TrimPrefix(v, "file://"), "/") {
			return "a file:// URL needs an absolute path (file:///path)"
		}
		return ""
	}
	u, err := url.Parse(v)
	if err != nil {
		return err.Error()
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "not an http(s) URL, an absolute path or a file:// URL (empty skips the image)"
	}
	return ""
}

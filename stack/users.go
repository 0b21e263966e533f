package stack

import (
	"cmp"
	"slices"
)

// ImageUser is a service account the images create with a fixed id, so the
// host's data directories, bind-mounted into the containers, can belong to
// the user the service runs as. The ids are Kolla's, which keeps them out
// of the ranges distributions hand out.
type ImageUser struct {
	Name string
	ID   int // uid and gid
	Home string
}

// ImageUsers are the users of every image (Image.Users), by id. They are
// part of the image contract (README, "Image contract").
func ImageUsers() []ImageUser {
	services := Services()
	var out []ImageUser
	for _, svc := range services {
		if svc.Build != nil {
			out = append(out, svc.Build.Users...)
		}
	}
	for _, img := range sharedImages() {
		out = append(out, img.Users...)
	}
	slices.SortFunc(out, func(a, b ImageUser) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// UserID returns the id of the image user name; root (0) for "root".
func UserID(name string) (int, bool) {
	if name == "root" {
		return 0, true
	}
	for _, u := range ImageUsers() {
		if u.Name == name {
			return u.ID, true
		}
	}
	return 0, false
}

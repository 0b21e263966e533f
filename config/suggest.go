package config

import "strings"

// closest returns the schema key nearest to name by edit distance, when it
// is near enough to be a plausible typo.
func closest(name string, s Schema) string {
	best, bestD := "", 1<<30
	// Case does not count: keys are upper case, and keystone_admin_password
	// is a typo of KEYSTONE_ADMIN_PASSWORD, not another key.
	upper := strings.ToUpper(name)
	for _, k := range s {
		if d := levenshtein(upper, k.Name); d < bestD {
			best, bestD = k.Name, d
		}
	}
	if bestD <= len(name)/3+1 {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

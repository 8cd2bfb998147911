package split

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Window is the last N calls, for following a split while it changes. An error counts as the
// pseudo-version "error".
type Window struct {
	size   int
	ring   []entry
	next   int
	full   bool
	counts map[string]int
}

type entry struct {
	version string
	at      time.Time
}

// NewWindow holds the last size calls.
func NewWindow(size int) *Window {
	return &Window{size: size, ring: make([]entry, size), counts: map[string]int{}}
}

// Add records a call that started at t and was answered by version ("error" for a failure).
func (w *Window) Add(version string, t time.Time) {
	if w.full {
		w.counts[w.ring[w.next].version]--
	}
	w.ring[w.next] = entry{version, t}
	w.counts[version]++
	w.next = (w.next + 1) % w.size
	if w.next == 0 {
		w.full = true
	}
}

// Full says whether the window holds size calls.
func (w *Window) Full() bool { return w.full }

// Start is when the oldest call in the window started.
func (w *Window) Start() time.Time {
	if w.full {
		return w.ring[w.next].at
	}
	return w.ring[0].at
}

// Shares are the window's percentages by version.
func (w *Window) Shares() map[string]float64 {
	n := w.size
	if !w.full {
		n = w.next
	}
	out := map[string]float64{}
	for v, c := range w.counts {
		if c > 0 && n > 0 {
			out[v] = 100 * float64(c) / float64(n)
		}
	}
	return out
}

// Matches says whether a full window is within tolerance points of target for every version in
// either (a version missing from target is expected at 0 %).
func (w *Window) Matches(target map[string]float64, tolerance float64) bool {
	if !w.full {
		return false
	}
	shares := w.Shares()
	for v, want := range target {
		if d := shares[v] - want; d > tolerance || d < -tolerance {
			return false
		}
	}
	for v, got := range shares {
		if _, ok := target[v]; !ok && got > tolerance {
			return false
		}
	}
	return true
}

// ParseTarget reads "v1=90,v2=10" (percentages by version).
func ParseTarget(s string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not version=percent", part)
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 100 {
			return nil, fmt.Errorf("%q: percent must be 0-100", part)
		}
		out[k] = f
	}
	return out, nil
}

// FormatShares is "v1 89.5 % · v2 10.5 %" in version order.
func FormatShares(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.1f %%", k, m[k])
	}
	return strings.Join(parts, " · ")
}

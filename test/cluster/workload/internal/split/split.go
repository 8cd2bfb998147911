// Package split counts where calls went and says it in one line.
package split

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Result is what a run of calls saw. Its JSON form is the traffic command's `-o json`.
type Result struct {
	Service    string         `json:"service"`
	Headers    []string       `json:"headers,omitempty"`
	Calls      int            `json:"calls"`
	OK         int            `json:"ok"`
	Errors     int            `json:"errors"`
	Versions   map[string]int `json:"versions"`   // version of the first hop
	Chains     map[string]int `json:"chains"`     // "a:v1 > b:v2" for every successful call
	Pods       map[string]int `json:"pods"`       // first hop's pod
	ErrorCodes map[string]int `json:"errorCodes"` // gRPC status code names
	FirstError string         `json:"firstError,omitempty"`
	ElapsedMs  int64          `json:"elapsedMs"`
}

// New is an empty result for a service.
func New(service string) *Result {
	return &Result{Service: service, Versions: map[string]int{}, Chains: map[string]int{}, Pods: map[string]int{}, ErrorCodes: map[string]int{}}
}

// ChainSep joins hops in a chain key.
const ChainSep = " > "

// AddOK counts a successful call answered by chain (app:version per hop) from pod.
func (r *Result) AddOK(version string, chain []string, pod string) {
	r.Calls++
	r.OK++
	r.Versions[version]++
	r.Chains[strings.Join(chain, ChainSep)]++
	r.Pods[pod]++
}

// AddError counts a failed call.
func (r *Result) AddError(code, msg string) {
	r.Calls++
	r.Errors++
	r.ErrorCodes[code]++
	if r.FirstError == "" {
		r.FirstError = code + ": " + msg
	}
}

// MultiHop says whether any call went through more than one hop.
func (r *Result) MultiHop() bool {
	for k := range r.Chains {
		if strings.Contains(k, ChainSep) {
			return true
		}
	}
	return false
}

// Summary is the one-line form: "1,000 calls: v1 902 · v2 98 · errors 0", with the error codes in
// parentheses when there are errors. Versions are in name order.
func (r *Result) Summary() string {
	parts := []string{}
	for _, k := range sortedKeys(r.Versions) {
		parts = append(parts, fmt.Sprintf("%s %s", k, Thousands(r.Versions[k])))
	}
	errs := "errors " + Thousands(r.Errors)
	if r.Errors > 0 {
		codes := []string{}
		for _, k := range sortedKeys(r.ErrorCodes) {
			codes = append(codes, fmt.Sprintf("%s %s", k, Thousands(r.ErrorCodes[k])))
		}
		errs += " (" + strings.Join(codes, ", ") + ")"
	}
	parts = append(parts, errs)
	return fmt.Sprintf("%s calls: %s", Thousands(r.Calls), strings.Join(parts, " · "))
}

// ChainSummary lists the chains, most frequent first: "by chain: a:v1 > b:v1 900 · a:v2 > b:v1 100".
func (r *Result) ChainSummary() string {
	keys := sortedKeys(r.Chains)
	sort.SliceStable(keys, func(i, j int) bool { return r.Chains[keys[i]] > r.Chains[keys[j]] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %s", k, Thousands(r.Chains[k]))
	}
	return "by chain: " + strings.Join(parts, " · ")
}

// Thousands writes n with comma separators: 1000 -> "1,000".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

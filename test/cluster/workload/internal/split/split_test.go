package split

import "testing"

func TestSummary(t *testing.T) {
	r := New("reviews.bookinfo.svc.cluster.local:9090")
	for i := 0; i < 902; i++ {
		r.AddOK("v1", []string{"reviews:v1"}, "reviews-v1-a")
	}
	for i := 0; i < 98; i++ {
		r.AddOK("v2", []string{"reviews:v2"}, "reviews-v2-a")
	}
	if got, want := r.Summary(), "1,000 calls: v1 902 · v2 98 · errors 0"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if r.MultiHop() {
		t.Error("one hop is not multi-hop")
	}
}

func TestSummaryWithErrors(t *testing.T) {
	r := New("s")
	r.AddOK("v1", []string{"a:v1"}, "p")
	r.AddError("Unavailable", "no healthy upstream")
	r.AddError("DeadlineExceeded", "context deadline exceeded")
	r.AddError("Unavailable", "again")
	if got, want := r.Summary(), "4 calls: v1 1 · errors 3 (DeadlineExceeded 1, Unavailable 2)"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if r.FirstError != "Unavailable: no healthy upstream" {
		t.Errorf("first error %q", r.FirstError)
	}
}

func TestChainSummary(t *testing.T) {
	r := New("s")
	for i := 0; i < 3; i++ {
		r.AddOK("canary", []string{"a:canary", "b:base"}, "a-1")
	}
	r.AddOK("base", []string{"a:base", "b:base"}, "a-2")
	if !r.MultiHop() {
		t.Error("two hops are multi-hop")
	}
	if got, want := r.ChainSummary(), "by chain: a:canary > b:base 3 · a:base > b:base 1"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567", -2000: "-2,000"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

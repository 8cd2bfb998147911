package split

import (
	"testing"
	"time"
)

func TestWindowFollowsAChange(t *testing.T) {
	w := NewWindow(10)
	t0 := time.Unix(1000, 0)
	for i := 0; i < 10; i++ {
		w.Add("v1", t0.Add(time.Duration(i)*time.Millisecond))
	}
	target := map[string]float64{"v1": 50, "v2": 50}
	if w.Matches(target, 5) {
		t.Fatal("all v1 does not match 50/50")
	}
	if !w.Matches(map[string]float64{"v1": 100}, 0) {
		t.Fatal("all v1 matches v1=100")
	}
	for i := 10; i < 15; i++ {
		w.Add("v2", t0.Add(time.Duration(i)*time.Millisecond))
	}
	if !w.Matches(target, 5) {
		t.Fatalf("5 v1 + 5 v2 should match 50/50, shares %v", w.Shares())
	}
	if got := w.Start(); !got.Equal(t0.Add(5 * time.Millisecond)) {
		t.Errorf("window start %v", got)
	}
}

func TestWindowErrorsCount(t *testing.T) {
	w := NewWindow(4)
	for _, v := range []string{"v2", "v2", "v2", "error"} {
		w.Add(v, time.Now())
	}
	if w.Matches(map[string]float64{"v2": 100}, 3) {
		t.Error("25 % errors must not match v2=100")
	}
	if FormatShares(w.Shares()) != "error 25.0 % · v2 75.0 %" {
		t.Errorf("shares %s", FormatShares(w.Shares()))
	}
}

func TestParseTarget(t *testing.T) {
	m, err := ParseTarget("v1=90, v2=10")
	if err != nil || m["v1"] != 90 || m["v2"] != 10 {
		t.Errorf("got %v, %v", m, err)
	}
	for _, bad := range []string{"v1", "v1=x", "v1=101", "=5"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("%q should not parse", bad)
		}
	}
}

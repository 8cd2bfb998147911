package api

import (
	"reflect"
	"testing"
)

func TestStructRoundTrip(t *testing.T) {
	in := &Reply{App: "a", Version: "v1", Pod: "a-1", Namespace: "ns", Chain: []string{"a:v1", "b:v2"}, Pods: []string{"a-1", "b-7"}}
	out, err := FromStruct(ToStruct(in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("got %+v, want %+v", out, in)
	}
}

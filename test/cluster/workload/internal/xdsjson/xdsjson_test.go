package xdsjson

import (
	"testing"

	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestUnknownAnyBecomesPlaceholder(t *testing.T) {
	// An Any (known type: Any) holding an Any of a type no one registered.
	outer, _ := anypb.New(&anypb.Any{TypeUrl: "type.googleapis.com/istio.not.Known", Value: []byte{1, 2, 3}})
	raw, err := Marshal(outer)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"@type":"type.googleapis.com/google.protobuf.Any","value":{"@type":"type.googleapis.com/google.protobuf.Struct","value":{"bytes":3,"unknownType":"type.googleapis.com/istio.not.Known"}}}`
	if string(raw) != want {
		t.Errorf("got  %s\nwant %s", raw, want)
	}
}

func TestKnownAnyStays(t *testing.T) {
	known, _ := anypb.New(wrapperspb.String("hi"))
	raw, err := Marshal(known)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"@type":"type.googleapis.com/google.protobuf.StringValue","value":"hi"}` {
		t.Errorf("known Any = %s", raw)
	}
}

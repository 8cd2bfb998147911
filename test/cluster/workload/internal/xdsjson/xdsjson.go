// Package xdsjson turns xDS resources into JSON even when they carry google.protobuf.Any payloads of
// types this binary does not know (Istio's own filters): those become a placeholder naming the type
// instead of failing the whole dump.
package xdsjson

import (
	"bytes"
	"encoding/json"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Resolvable rewrites m in place so that every Any in it, at any depth, holds a known type: known
// payloads are rewritten recursively, unknown ones are replaced by a Struct
// {"unknownType": "<type URL>", "bytes": n}.
func Resolvable(m proto.Message) {
	walk(m.ProtoReflect())
}

func walk(m protoreflect.Message) {
	if m.Descriptor().FullName() == "google.protobuf.Any" {
		fixAny(m)
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walk(l.Get(i).Message())
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				walk(mv.Message())
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			walk(v.Message())
		}
		return true
	})
}

func fixAny(m protoreflect.Message) {
	a, ok := m.Interface().(*anypb.Any)
	if !ok {
		return
	}
	inner, err := a.UnmarshalNew()
	if err != nil {
		placeholder, _ := structpb.NewStruct(map[string]any{"unknownType": a.GetTypeUrl(), "bytes": len(a.GetValue())})
		b, _ := proto.Marshal(placeholder)
		a.TypeUrl = "type.googleapis.com/google.protobuf.Struct"
		a.Value = b
		return
	}
	walk(inner.ProtoReflect())
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(inner)
	if err == nil {
		a.Value = b
	}
}

// Marshal is m as a JSON value (snake_case field names, as Envoy's config dumps show them).
func Marshal(m proto.Message) (json.RawMessage, error) {
	c := proto.Clone(m)
	Resolvable(c)
	b, err := protojson.MarshalOptions{UseProtoNames: true, Resolver: protoregistry.GlobalTypes}.Marshal(c)
	if err != nil {
		return nil, err
	}
	// protojson varies its whitespace on purpose; settle it.
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Package api is the workload's one gRPC method, registered by hand (no code generation): requests and
// replies are google.protobuf.Struct messages, so the default proto codec carries them and any gRPC
// client (grpcurl with -d '{}') can call it.
//
//	service kubectlgray.workload.v1.Workload { rpc Hello(google.protobuf.Struct) returns (google.protobuf.Struct); }
package api

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	ServiceName = "kubectlgray.workload.v1.Workload"
	HelloMethod = "/" + ServiceName + "/Hello"
)

// ConnectParams keep reconnection backoff short (at most 2 s, not gRPC's 120 s): test pods come and go,
// and a hop that was refused once must be reachable again within a test's patience.
var ConnectParams = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
	MinConnectTimeout: 5 * time.Second,
}

// Reply says who answered and, for a chain of calls, every hop from this one to the last.
type Reply struct {
	App       string   `json:"app"`
	Version   string   `json:"version"`
	Pod       string   `json:"pod"`
	Namespace string   `json:"namespace,omitempty"`
	Chain     []string `json:"chain"` // "app:version" of every hop, this one first
	Pods      []string `json:"pods"`  // the pod of every hop, this one first
}

// HelloServer is what the workload implements.
type HelloServer interface {
	Hello(ctx context.Context, req *structpb.Struct) (*structpb.Struct, error)
}

// Register adds the Workload service to s.
func Register(s grpc.ServiceRegistrar, impl HelloServer) {
	s.RegisterService(&grpc.ServiceDesc{
		ServiceName: ServiceName,
		HandlerType: (*HelloServer)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Hello",
			Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
				in := new(structpb.Struct)
				if err := dec(in); err != nil {
					return nil, err
				}
				call := func(ctx context.Context, req any) (any, error) {
					return srv.(HelloServer).Hello(ctx, req.(*structpb.Struct))
				}
				if interceptor == nil {
					return call(ctx, in)
				}
				return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: HelloMethod}, call)
			},
		}},
		Metadata: "kubectlgray/workload/v1/workload.proto",
	}, impl)
}

// Hello calls the Workload service over conn.
func Hello(ctx context.Context, conn grpc.ClientConnInterface, opts ...grpc.CallOption) (*Reply, error) {
	out := new(structpb.Struct)
	if err := conn.Invoke(ctx, HelloMethod, &structpb.Struct{}, out, opts...); err != nil {
		return nil, err
	}
	return FromStruct(out)
}

// ToStruct encodes a reply.
func ToStruct(r *Reply) *structpb.Struct {
	list := func(xs []string) *structpb.Value {
		vs := make([]*structpb.Value, len(xs))
		for i, x := range xs {
			vs[i] = structpb.NewStringValue(x)
		}
		return structpb.NewListValue(&structpb.ListValue{Values: vs})
	}
	return &structpb.Struct{Fields: map[string]*structpb.Value{
		"app":       structpb.NewStringValue(r.App),
		"version":   structpb.NewStringValue(r.Version),
		"pod":       structpb.NewStringValue(r.Pod),
		"namespace": structpb.NewStringValue(r.Namespace),
		"chain":     list(r.Chain),
		"pods":      list(r.Pods),
	}}
}

// FromStruct decodes a reply.
func FromStruct(s *structpb.Struct) (*Reply, error) {
	str := func(k string) string { return s.GetFields()[k].GetStringValue() }
	list := func(k string) ([]string, error) {
		v, ok := s.GetFields()[k]
		if !ok {
			return nil, nil
		}
		lv := v.GetListValue()
		if lv == nil {
			return nil, fmt.Errorf("reply field %s is not a list", k)
		}
		out := make([]string, len(lv.Values))
		for i, x := range lv.Values {
			out[i] = x.GetStringValue()
		}
		return out, nil
	}
	r := &Reply{App: str("app"), Version: str("version"), Pod: str("pod"), Namespace: str("namespace")}
	var err error
	if r.Chain, err = list("chain"); err != nil {
		return nil, err
	}
	if r.Pods, err = list("pods"); err != nil {
		return nil, err
	}
	return r, nil
}

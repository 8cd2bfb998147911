package main

import (
	"reflect"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	luav3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/lua/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestListenerFilterOrder(t *testing.T) {
	lua, _ := anypb.New(&luav3.Lua{})
	router, _ := anypb.New(&routerv3.Router{})
	hcm, _ := anypb.New(&hcmv3.HttpConnectionManager{
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{RouteConfigName: "http.80"}},
		HttpFilters: []*hcmv3.HttpFilter{
			{Name: "gray.color.v2", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: lua}},
			{Name: "envoy.filters.http.router", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: router}},
		},
	})
	l := &listenerv3.Listener{Name: "0.0.0.0_80", FilterChains: []*listenerv3.FilterChain{{
		Filters: []*listenerv3.Filter{{Name: "envoy.filters.network.http_connection_manager",
			ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: hcm}}},
	}}}
	s := summarizeListener(l)
	want := []string{"gray.color.v2", "envoy.filters.http.router"}
	if len(s.FilterChains) != 1 || !reflect.DeepEqual(s.FilterChains[0].HTTPFilters, want) || s.FilterChains[0].RouteConfig != "http.80" {
		t.Errorf("summary = %+v", s)
	}
}

func TestRouteMirrorAndWeights(t *testing.T) {
	r := &routev3.Route{
		Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{
			ClusterSpecifier: &routev3.RouteAction_WeightedClusters{WeightedClusters: &routev3.WeightedCluster{Clusters: []*routev3.WeightedCluster_ClusterWeight{
				{Name: "outbound|9090|v1|reviews.shop.svc.cluster.local", Weight: wrapperspb.UInt32(90)},
				{Name: "outbound|9090|v2|reviews.shop.svc.cluster.local", Weight: wrapperspb.UInt32(10)},
			}}},
			RequestMirrorPolicies: []*routev3.RouteAction_RequestMirrorPolicy{{
				Cluster:         "outbound|9090|v3|reviews.shop.svc.cluster.local",
				RuntimeFraction: &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: 250000, Denominator: typev3.FractionalPercent_MILLION}},
			}},
		}},
	}
	s := summarizeRoute(r)
	if s.Match != "prefix /" || len(s.Weighted) != 2 || s.Weighted[1].Weight != 10 {
		t.Errorf("route = %+v", s)
	}
	if len(s.Mirrors) != 1 || s.Mirrors[0].Cluster != "outbound|9090|v3|reviews.shop.svc.cluster.local" || s.Mirrors[0].Percent != 25 {
		t.Errorf("mirrors = %+v", s.Mirrors)
	}
}

package mesh

import (
	"encoding/json"
	"reflect"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"
)

func TestBootstrapShape(t *testing.T) {
	n := Node{Kind: "sidecar", IP: "10.88.0.7", Pod: "reviews-v2-abc", Namespace: "bookinfo",
		Labels: map[string]string{"app": "reviews", "version": "v2"}, Generator: "grpc"}
	raw, err := Bootstrap("10.89.0.1:15010", n)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	server := doc["xds_servers"].([]any)[0].(map[string]any)
	if server["server_uri"] != "10.89.0.1:15010" {
		t.Errorf("server_uri = %v", server["server_uri"])
	}
	if !reflect.DeepEqual(server["channel_creds"], []any{map[string]any{"type": "insecure"}}) {
		t.Errorf("channel_creds = %v", server["channel_creds"])
	}
	if !reflect.DeepEqual(server["server_features"], []any{"xds_v3"}) {
		t.Errorf("server_features = %v", server["server_features"])
	}
	node := doc["node"].(map[string]any)
	if got, want := node["id"], "sidecar~10.88.0.7~reviews-v2-abc.bookinfo~bookinfo.svc.cluster.local"; got != want {
		t.Errorf("id = %v, want %v", got, want)
	}
	md := node["metadata"].(map[string]any)
	want := map[string]any{
		"GENERATOR": "grpc", "NAMESPACE": "bookinfo", "CLUSTER_ID": "Kubernetes", "INSTANCE_IPS": "10.88.0.7",
		"ISTIO_VERSION": "1.31.0", "LABELS": map[string]any{"app": "reviews", "version": "v2"},
	}
	if !reflect.DeepEqual(md, want) {
		t.Errorf("metadata = %v\nwant %v", md, want)
	}
	if doc["server_listener_resource_name_template"] != "xds.istio.io/grpc/lds/inbound/%s" {
		t.Errorf("template = %v", doc["server_listener_resource_name_template"])
	}
}

func TestRouterNodeHasNoGenerator(t *testing.T) {
	n := Node{Kind: "router", IP: "10.89.0.1", Pod: "gw", Namespace: "istio-system",
		Labels: map[string]string{"istio": "ingressgateway"}}
	if got, want := n.ID(), "router~10.89.0.1~gw.istio-system~istio-system.svc.cluster.local"; got != want {
		t.Errorf("id = %q, want %q", got, want)
	}
	if _, err := structpb.NewStruct(n.Metadata()); err != nil {
		t.Errorf("metadata must convert to a protobuf Struct (xds-dump sends it so): %v", err)
	}
	if _, ok := n.Metadata()["GENERATOR"]; ok {
		t.Error("a router node must ask for Envoy-shaped config (no GENERATOR)")
	}
}

func TestBootstrapNeedsAddressAndIdentity(t *testing.T) {
	if _, err := Bootstrap("", Node{IP: "1.2.3.4", Pod: "p", Namespace: "n"}); err == nil {
		t.Error("want an error without an istiod address")
	}
	if _, err := Bootstrap("x:1", Node{Pod: "p", Namespace: "n"}); err == nil {
		t.Error("want an error without an IP")
	}
}

func TestNodeFromEnv(t *testing.T) {
	env := map[string]string{"APP": "ratings", "VERSION": "canary", "POD_NAME": "ratings-1", "POD_NAMESPACE": "shop", "POD_IP": "10.88.0.9"}
	n := NodeFromEnv(func(k string) string { return env[k] })
	if n.ID() != "sidecar~10.88.0.9~ratings-1.shop~shop.svc.cluster.local" {
		t.Errorf("id = %s", n.ID())
	}
	if !reflect.DeepEqual(n.Labels, map[string]string{"app": "ratings", "version": "canary"}) {
		t.Errorf("labels = %v", n.Labels)
	}
	if n.Generator != "grpc" {
		t.Errorf("generator = %q", n.Generator)
	}
}

func TestLabels(t *testing.T) {
	m, err := ParseLabels("istio=ingressgateway, app=gw")
	if err != nil {
		t.Fatal(err)
	}
	if FormatLabels(m) != "app=gw,istio=ingressgateway" {
		t.Errorf("got %s", FormatLabels(m))
	}
	if _, err := ParseLabels("novalue"); err == nil {
		t.Error("want an error for a label without =")
	}
}

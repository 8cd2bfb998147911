// xds-dump asks istiod for configuration as a given node would (an ADS stream over plaintext xDS) and
// prints the listeners and routes it gets: what Envoy or a proxyless client would be told, without one.
//
//	xds-dump --node router --labels istio=ingressgateway --type lds -o json
//	xds-dump --node sidecar -n shop --type rds -o summary
//
// --type lds: listeners; rds: listeners, then the route configurations they name; cds: clusters.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	// Payload types Istio puts in listeners and routes, so they print in full.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/grpc_stats/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/grpc_web/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/lua/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/http_inspector/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/original_dst/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"

	"kubectl-gray/test/cluster/workload/internal/mesh"
	"kubectl-gray/test/cluster/workload/internal/xdsjson"
)

const (
	ldsType = "type.googleapis.com/envoy.config.listener.v3.Listener"
	rdsType = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
	cdsType = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
)

type output struct {
	Node      nodeOut                      `json:"node"`
	Type      string                       `json:"type"`
	Listeners []ListenerSummary            `json:"listeners,omitempty"`
	Routes    []RouteConfigSummary         `json:"routes,omitempty"`
	Clusters  []string                     `json:"clusters,omitempty"`
	Resources map[string][]json.RawMessage `json:"resources"` // full resources by kind: listeners, routes, clusters
}

type nodeOut struct {
	ID     string            `json:"id"`
	Labels map[string]string `json:"labels"`
}

func main() {
	fs := flag.NewFlagSet("xds-dump", flag.ExitOnError)
	kind := fs.String("node", "sidecar", "node kind: sidecar or router (a gateway)")
	labelsFlag := fs.String("labels", "", "the node's labels, k=v,k2=v2 (gateways: istio=ingressgateway)")
	ns := fs.String("n", "", "the node's namespace (default: istio-system for a router, default for a sidecar)")
	fs.StringVar(ns, "namespace", "", "same as -n")
	ip := fs.String("ip", "10.89.0.250", "the node's IP in its id and INSTANCE_IPS")
	pod := fs.String("pod", "", "the node's pod name (default xds-dump-<pid>)")
	generator := fs.String("generator", "", `config generator: "" (Envoy) or grpc (proxyless); the grpc generator needs --names for lds`)
	typ := fs.String("type", "lds", "lds, rds (listeners and the routes they name) or cds")
	names := fs.String("names", "", "comma list of names of the --type asked for (default: all; for rds: the names the listeners use)")
	listenerNames := fs.String("listeners", "", "comma list of listeners to ask for on the way to rds (default all; the grpc generator\nneeds them: e.g. mocka.shop.svc.cluster.local:8080)")
	xdsAddr := fs.String("xds", os.Getenv("ISTIOD_XDS_ADDR"), "istiod's plaintext xDS host:port (default $ISTIOD_XDS_ADDR)")
	out := fs.String("o", "summary", "summary (text), json (summary + full resources)")
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long")
	_ = fs.Parse(os.Args[1:])
	if fs.NArg() > 0 {
		die("unexpected argument %q", fs.Arg(0))
	}
	if *kind != "sidecar" && *kind != "router" {
		die("--node must be sidecar or router")
	}
	if *typ != "lds" && *typ != "rds" && *typ != "cds" {
		die("--type must be lds, rds or cds")
	}
	if *out != "summary" && *out != "json" {
		die("-o must be summary or json")
	}
	if *xdsAddr == "" {
		die("no istiod address: pass --xds HOST:PORT or set ISTIOD_XDS_ADDR")
	}
	labels, err := mesh.ParseLabels(*labelsFlag)
	if err != nil {
		die("%v", err)
	}
	if *ns == "" {
		*ns = map[string]string{"router": "istio-system", "sidecar": "default"}[*kind]
	}
	if *pod == "" {
		*pod = fmt.Sprintf("xds-dump-%d", os.Getpid())
	}
	node := mesh.Node{Kind: *kind, IP: *ip, Pod: *pod, Namespace: *ns, Labels: labels, Generator: *generator}
	md, err := structpb.NewStruct(node.Metadata())
	if err != nil {
		die("node metadata: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	conn, err := grpc.NewClient(*xdsAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		die("%v", err)
	}
	defer conn.Close()
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		die("ADS stream to %s: %v", *xdsAddr, err)
	}
	coreNode := &corev3.Node{Id: node.ID(), Metadata: md}
	ask := func(typeURL string, names []string) []*anypb.Any {
		if err := stream.Send(&discoveryv3.DiscoveryRequest{Node: coreNode, TypeUrl: typeURL, ResourceNames: names}); err != nil {
			die("ADS send: %v", err)
		}
		for {
			resp, err := stream.Recv()
			if err != nil {
				die("ADS receive (%s): %v", typeURL, err)
			}
			if resp.GetTypeUrl() == typeURL {
				return resp.GetResources()
			}
		}
	}
	requested := split(*names)

	res := output{Node: nodeOut{ID: node.ID(), Labels: labels}, Type: *typ, Resources: map[string][]json.RawMessage{}}
	add := func(kind string, m proto.Message) {
		raw, err := xdsjson.Marshal(m)
		if err != nil {
			die("%s to JSON: %v", kind, err)
		}
		res.Resources[kind] = append(res.Resources[kind], raw)
	}
	switch *typ {
	case "cds":
		for _, a := range ask(cdsType, requested) {
			c := &clusterv3.Cluster{}
			must(a.UnmarshalTo(c))
			res.Clusters = append(res.Clusters, c.GetName())
			add("clusters", c)
		}
	case "lds", "rds":
		ldsNames := split(*listenerNames)
		if *typ == "lds" && requested != nil {
			ldsNames = requested
		}
		var routeNames []string
		for _, a := range ask(ldsType, ldsNames) {
			l := &listenerv3.Listener{}
			must(a.UnmarshalTo(l))
			s := summarizeListener(l)
			res.Listeners = append(res.Listeners, s)
			add("listeners", l)
			for _, c := range s.FilterChains {
				if c.RouteConfig != "" && !strings.HasPrefix(c.RouteConfig, "(inline)") && !contains(routeNames, c.RouteConfig) {
					routeNames = append(routeNames, c.RouteConfig)
				}
			}
		}
		if *typ == "rds" {
			if requested != nil {
				routeNames = requested
			}
			if len(routeNames) > 0 {
				for _, a := range ask(rdsType, routeNames) {
					rc := &routev3.RouteConfiguration{}
					must(a.UnmarshalTo(rc))
					res.Routes = append(res.Routes, summarizeRouteConfig(rc))
					add("routes", rc)
				}
			}
		}
	}

	if *out == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(res)
		return
	}
	fmt.Printf("node %s labels %s\n", node.ID(), mesh.FormatLabels(labels))
	fmt.Print(text(res.Listeners, res.Routes))
	for _, c := range res.Clusters {
		fmt.Printf("cluster %s\n", c)
	}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func must(err error) {
	if err != nil {
		die("%v", err)
	}
}

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "xds-dump: "+format+"\n", args...)
	os.Exit(2)
}

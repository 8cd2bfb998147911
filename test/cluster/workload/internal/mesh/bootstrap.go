// Package mesh builds the xDS bootstrap a proxyless gRPC process uses to take its configuration
// from istiod, and the node identity istiod sees.
package mesh

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
)

// Node is who a process claims to be when it connects to istiod.
type Node struct {
	Kind      string            // "sidecar" (a workload) or "router" (a gateway)
	IP        string            // the pod's IP; istiod keys endpoints and locality on it
	Pod       string            // pod name
	Namespace string            // the proxy's namespace (Sidecar scoping, exportTo)
	Labels    map[string]string // matched by Gateway/EnvoyFilter/Sidecar selectors
	Generator string            // "grpc" for proxyless gRPC; "" for Envoy-shaped config
	ClusterID string            // istiod's registry name; out of cluster it is "Kubernetes"
	Version   string            // ISTIO_VERSION the proxy reports
}

// Defaults for the fields a caller may leave empty.
const (
	DefaultClusterID    = "Kubernetes"
	DefaultIstioVersion = "1.31.0"
)

// ID is the node id in Istio's form: kind~ip~pod.namespace~namespace.svc.cluster.local.
func (n Node) ID() string {
	kind := n.Kind
	if kind == "" {
		kind = "sidecar"
	}
	return fmt.Sprintf("%s~%s~%s.%s~%s.svc.cluster.local", kind, n.IP, n.Pod, n.Namespace, n.Namespace)
}

// Metadata is the node metadata istiod reads (ProxyConfig is left to its defaults).
func (n Node) Metadata() map[string]any {
	labels := map[string]any{} // any, not string: structpb.NewStruct takes the same map
	for k, v := range n.Labels {
		labels[k] = v
	}
	md := map[string]any{
		"NAMESPACE":     n.Namespace,
		"CLUSTER_ID":    or(n.ClusterID, DefaultClusterID),
		"INSTANCE_IPS":  n.IP,
		"ISTIO_VERSION": or(n.Version, DefaultIstioVersion),
		"LABELS":        labels,
	}
	if n.Generator != "" {
		md["GENERATOR"] = n.Generator
	}
	return md
}

// Bootstrap is grpc-go's xDS bootstrap JSON for a plaintext connection to istiod at xdsAddr (host:port).
func Bootstrap(xdsAddr string, n Node) ([]byte, error) {
	if xdsAddr == "" {
		return nil, fmt.Errorf("no istiod address")
	}
	if n.IP == "" || n.Pod == "" || n.Namespace == "" {
		return nil, fmt.Errorf("node needs an IP, a pod name and a namespace (have %q, %q, %q)", n.IP, n.Pod, n.Namespace)
	}
	doc := map[string]any{
		"xds_servers": []any{map[string]any{
			"server_uri":      xdsAddr,
			"channel_creds":   []any{map[string]any{"type": "insecure"}},
			"server_features": []any{"xds_v3"},
		}},
		"node": map[string]any{
			"id":       n.ID(),
			"metadata": n.Metadata(),
		},
		"server_listener_resource_name_template": "xds.istio.io/grpc/lds/inbound/%s",
	}
	return json.Marshal(doc)
}

// NodeFromEnv is a workload's identity from the environment its pod gives it (downward API):
// APP and VERSION become the labels app and version; POD_NAME, POD_NAMESPACE, POD_IP.
func NodeFromEnv(getenv func(string) string) Node {
	labels := map[string]string{}
	if v := getenv("APP"); v != "" {
		labels["app"] = v
	}
	if v := getenv("VERSION"); v != "" {
		labels["version"] = v
	}
	pod := getenv("POD_NAME")
	if pod == "" {
		pod, _ = os.Hostname()
	}
	return Node{
		Kind:      "sidecar",
		IP:        or(getenv("POD_IP"), "127.0.0.1"),
		Pod:       pod,
		Namespace: or(getenv("POD_NAMESPACE"), "default"),
		Labels:    labels,
		Generator: "grpc",
		ClusterID: getenv("ISTIO_META_CLUSTER_ID"),
	}
}

// ParseLabels reads "k=v,k2=v2".
func ParseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("label %q is not key=value", part)
		}
		out[k] = v
	}
	return out, nil
}

// FormatLabels is the inverse of ParseLabels, sorted.
func FormatLabels(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

// HasBootstrap says whether grpc-go will find a bootstrap in this process's environment.
func HasBootstrap() bool {
	return os.Getenv("GRPC_XDS_BOOTSTRAP") != "" || os.Getenv("GRPC_XDS_BOOTSTRAP_CONFIG") != ""
}

// ExecWithBootstrap re-executes the running binary with GRPC_XDS_BOOTSTRAP_CONFIG set to bootstrap.
// grpc-go reads that variable once, when its packages initialise, so a process that builds its bootstrap
// at start has to hand it to a fresh copy of itself. It returns only on failure.
func ExecWithBootstrap(bootstrap []byte) error {
	if err := os.Setenv("GRPC_XDS_BOOTSTRAP_CONFIG", string(bootstrap)); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		exe = "/proc/self/exe"
	}
	return syscall.Exec(exe, os.Args, os.Environ())
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

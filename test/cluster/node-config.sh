# Writes the node's configuration files into $state (sourced by up.sh, after the ports are chosen).
# Every path is under $state except those the kubelet and containerd 1.6 cannot move (see lib.sh).

write_containerd_config() {
  mkdir -p "$state/containerd" "$state/cni/net.d"
  cat > "$state/containerd/config.toml" <<TOML
version = 2
root = "$state/containerd/root"
state = "$state/containerd/state"
[grpc]
  address = "$state/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # The sandbox has no CAP_SYS_RESOURCE: runc cannot lower a container's oom_score_adj.
  restrict_oom_score_adj = true
  enable_selinux = false
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$bin/cni"
    conf_dir = "$state/cni/net.d"
  # Registry hosts (certs.d/<registry>/hosts.toml, re-read on every pull): registry-up.sh mirrors ghcr.io, where
  # the chart's image lives, to the local registry, as an air-gapped cluster mirrors a public registry.
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$state/containerd/certs.d"
TOML
  cat > "$state/cni/net.d/10-gray.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "gray",
  "plugins": [
    {"type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$state/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
}

write_kubelet_config() {
  mkdir -p "$state/kubelet"
  cat > "$state/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $kubelet_port
healthzBindAddress: 127.0.0.1
healthzPort: $kubelet_healthz_port
readOnlyPort: 0
# The API server has no kubelet client certificate: anonymous on the node address only.
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
# No CAP_SYS_RESOURCE: the kubelet must not try to change its own oom_score_adj.
oomScoreAdj: 0
containerRuntimeEndpoint: unix://$state/containerd/containerd.sock
imageServiceEndpoint: unix://$state/containerd/containerd.sock
podCIDR: $POD_CIDR
maxPods: 60
serializeImagePulls: false
# A shared build machine: disk and memory pressure must not evict test pods or collect their images.
evictionHard: {memory.available: "100Mi", nodefs.available: "2%", nodefs.inodesFree: "2%", imagefs.available: "2%"}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
syncFrequency: 10s
fileCheckFrequency: 10s
nodeStatusUpdateFrequency: 5s
shutdownGracePeriod: 0s
localStorageCapacityIsolation: false
cgroupsPerQOS: true
resolvConf: /etc/resolv.conf
YAML
}

write_kube_proxy_config() {
  cat > "$state/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$state/kube-proxy.kubeconfig"}
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: "127.0.0.1:$proxy_healthz_port"
metricsBindAddress: "127.0.0.1:$proxy_metrics_port"
mode: iptables
clusterCIDR: $POD_CIDR
nodePortAddresses: ["$NODE_IP/32"]
oomScoreAdj: 0
# No sysctl writes: conntrack limits stay as the host has them.
conntrack: {maxPerCore: 0, min: 0}
iptables: {masqueradeAll: false, syncPeriod: 5s, minSyncPeriod: 0s}
YAML
}

# write_kubeconfig FILE USER TOKEN: a kubeconfig for one identity, against the node-facing address.
write_kubeconfig() {
  local file=$1 user=$2 token=$3 server=${4:-https://127.0.0.1:$api_port}
  cat > "$file" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 < "$state/certs/ca.crt")
users:
- name: $user
  user:
    token: $token
contexts:
- name: local
  context: {cluster: local, user: $user, namespace: default}
current-context: local
KUBECONFIG
  chmod 600 "$file"
}

#!/usr/bin/env bash
# Stops everything up.sh started and restores what it changed on the host: pods' processes, containerd
# and its shims, mounts, network namespaces, links, iptables chains, sysctls, cgroups, the fixed paths,
# the node lock. The built binaries and images stay in test/cluster/bin. Safe to run twice.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
[ -d "$state" ] || exit 0

stop webhook
stop istiod
# The kubelet first, so nothing restarts the pods we are about to end.
stop kubelet
stop kube-proxy
stop kube-scheduler
stop kube-controller-manager

# Pods: every process in the kubelet's cgroups, then the shims that watched them, then containerd.
for _ in 1 2 3; do
  pids=$(cat /sys/fs/cgroup/*/kubepods/cgroup.procs /sys/fs/cgroup/*/kubepods/*/cgroup.procs \
             /sys/fs/cgroup/*/kubepods/*/*/cgroup.procs /sys/fs/cgroup/*/kubepods/*/*/*/cgroup.procs 2>/dev/null | sort -u)
  [ -n "$pids" ] || break
  kill -KILL $pids 2>/dev/null
  sleep 0.2
done
stop containerd
pkill -KILL -f "containerd-shim-runc-v2 .*-address $state/containerd/containerd.sock" 2>/dev/null
# Empty cgroups, deepest first.
find /sys/fs/cgroup/*/kubepods -depth -type d 2>/dev/null | while read -r d; do rmdir "$d" 2>/dev/null; done

stop kube-apiserver
stop etcd
stop registry

# Mounts under the cluster folder and the shims' fixed folder, deepest first.
findmnt -rn -o TARGET | grep -E "^($state|/run/containerd/io.containerd.runtime.v2.task/k8s.io)/" | sort -r \
  | while read -r m; do umount -l "$m" 2>/dev/null; done
# Pods' network namespaces: the ones holding an address in our pod range.
for ns in $(ip netns list 2>/dev/null | awk '/^cni-/{print $1}'); do
  if ip netns exec "$ns" ip -4 -o addr show 2>/dev/null | grep -q " ${POD_CIDR%.*}\."; then
    ip netns delete "$ns" 2>/dev/null
  fi
done
ip link delete "$CNI_BRIDGE" 2>/dev/null
ip link delete "$NODE_BRIDGE" 2>/dev/null

# iptables: the chains kube-proxy, the kubelet and the CNI plugins made (KUBE-*, CNI-*), and every rule
# in a built-in chain that jumps to them.
for ipt in iptables ip6tables; do
  command -v "$ipt" >/dev/null || continue
  for table in nat filter mangle; do
    "$ipt-save" -t "$table" 2>/dev/null | grep -E '^-A (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) .*-j (KUBE-|CNI-)' \
      | sed 's/^-A /-D /' | while read -r rule; do eval "$ipt -t $table $rule" 2>/dev/null; done
    chains=$("$ipt-save" -t "$table" 2>/dev/null | awk '/^:(KUBE-|CNI-)/{print substr($1, 2)}')
    for c in $chains; do "$ipt" -t "$table" -F "$c" 2>/dev/null; done
    for c in $chains; do "$ipt" -t "$table" -X "$c" 2>/dev/null; done
  done
done

# up.sh's refusal of Service addresses kube-proxy has not rewritten.
for chain in OUTPUT FORWARD; do iptables -D "$chain" -j GRAY-SERVICE-CIDR 2>/dev/null || true; done
iptables -F GRAY-SERVICE-CIDR 2>/dev/null || true
iptables -X GRAY-SERVICE-CIDR 2>/dev/null || true

if [ -f "$state/sysctls.saved" ]; then
  while IFS== read -r key value; do sysctl -qw "$key=$value" 2>/dev/null; done < "$state/sysctls.saved"
fi
# The fixed paths, when this cluster made them.
while read -r path; do rm -rf "$path"; done < <(cat "$state/created-paths" 2>/dev/null)
[ "$(cat "$NODE_LOCK" 2>/dev/null)" = "$state" ] && rm -f "$NODE_LOCK"
rm -rf "$state"
log "stopped"

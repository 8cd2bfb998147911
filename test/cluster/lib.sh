# Shared by the harness scripts: where things are, the node's fixed network, and bounded waits that say
# why they failed. Sourced, not run.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
state="${CLUSTER_DIR:-$root/.cluster}"
bin="$here/bin"
kubeconfig="$state/kubeconfig"

# The node's host-global resources. Some paths a kubelet and containerd 1.6 use cannot be moved
# (/var/lib/kubelet/device-plugins, /var/log/containers, /run/containerd/{s,fifo}) and kube-proxy owns
# iptables chains by fixed names, so one host runs one node at a time: the lock names its cluster.
NODE_NAME=gray-node
NODE_BRIDGE=gray-node0          # a bridge without ports that holds the node IP (the kernel has no dummy driver)
NODE_IP=10.89.0.1
CNI_BRIDGE=gray-cni0            # the pods' bridge
POD_CIDR=10.89.64.0/24
SERVICE_CIDR=10.89.128.0/24     # the kubernetes Service is 10.89.128.1
NODE_LOCK=/run/kubectl-gray-node.lock
PAUSE_IMAGE=registry.k8s.io/pause:3.10
WORKLOAD_IMAGE=registry.local/gray-workload:dev

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: error: $*" >&2; exit 1; }
alive() { [ -f "$state/$1.pid" ] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }
tail_log() { echo "---- last lines of $state/$1.log ----" >&2; tail -n 25 "$state/$1.log" >&2 || true; }

# free_ports N: N distinct free loopback ports on one line. Every socket stays open until all N are chosen: a port
# asked for alone, one call after another, can come back twice (etcd and kube-apiserver were once given the same).
free_ports() {
  node -e 'const net = require("net"); const n = Number(process.argv[1]); const held = [];
    const next = () => {
      if (held.length < n) { held.push(net.createServer().listen(0, "127.0.0.1", next)); return; }
      console.log(held.map((s) => s.address().port).join(" ")); held.forEach((s) => s.close());
    };
    next();' "$1"
}

# wait_until SECONDS NAME COMMAND...: polls COMMAND every 0.2 s; gives up with the NAME's log tail.
wait_until() {
  local limit=$1 name=$2; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    alive "$name" || { tail_log "$name"; die "$name exited while starting"; }
    [ "$(date +%s)" -lt "$deadline" ] || { tail_log "$name"; die "$name not ready after ${limit}s"; }
    sleep 0.2
  done
}

# start NAME COMMAND...: runs COMMAND in its own process group, logging to $state/NAME.log.
start() {
  local name=$1; shift
  setsid "$@" > "$state/$name.log" 2>&1 < /dev/null &
  echo $! > "$state/$name.pid"
}

# stop NAME: ends NAME's process group, politely first.
stop() {
  local pidfile="$state/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

k() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }
ctr_() { ctr --address "$state/containerd/containerd.sock" -n k8s.io "$@"; }

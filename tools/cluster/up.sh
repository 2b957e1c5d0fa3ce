#!/usr/bin/env bash
# Brings up a real single-node Kubernetes for `make e2e`, from real parts, the way Kubernetes'
# own hack/local-up-cluster.sh runs a cluster from binaries: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet and kube-proxy (all v1.34.4 from the pinned
# k8s.io/kubernetes module, tools/kube/ensure.sh), Debian's containerd + runc + CNI plugins, and
# CoreDNS; images come from tools/images/build.sh and reach containerd by `ctr images import`.
#
# Why not kind: kind's nodes are privileged containers, which this machine cannot run (its
# capability bounding set lacks CAP_SYS_RESOURCE). So the node runs on the host, but inside a
# network namespace of its own: every component, the pod network (ptp veths), the service
# network (kube-proxy's iptables rules) and DNS live in it, and `tools/cluster/down.sh` deletes
# the lot. Only the network is namespaced: kubelet and containerd share the host's mount
# namespace, so the volumes kubelet mounts are the ones containerd hands to runc.
#
#   tools/cluster/up.sh IMAGE_ARCHIVE...   (root; the archives of tools/images/build.sh)
#
# Prints the admin kubeconfig's path. Then: tools/cluster/exec.sh kubectl get nodes
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$here/env.sh"

say() { echo "cluster: $*" >&2; }
die() { echo "cluster: $*" >&2; exit 1; }

[[ "$(id -u)" == 0 ]] || die "needs root (network namespaces, containerd, kubelet)"
for t in containerd containerd-shim-runc-v2 runc ctr nsenter ip iptables conntrack openssl; do
    command -v "$t" >/dev/null || die "'$t' is missing; install Debian's containerd runc containernetworking-plugins iptables conntrack openssl (.ci/run does)"
done
[[ -x /usr/lib/cni/ptp && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] \
    || die "the CNI plugins are missing (/usr/lib/cni/ptp, host-local, loopback): apt-get install containernetworking-plugins"
[[ -e "/run/netns/$CLUSTER_NETNS" ]] && die "a cluster is already up (netns $CLUSTER_NETNS); tools/cluster/down.sh first"
[[ -e "$CLUSTER_ROOT" ]] && die "$CLUSTER_ROOT is left from an earlier cluster; tools/cluster/down.sh removes it"

bins=()
while IFS= read -r b; do bins+=("$b"); done < <("$here/../kube/ensure.sh" etcd kube-apiserver node)
bin() { local b; for b in "${bins[@]}"; do [[ "${b##*/}" == "$1" ]] && { echo "$b"; return; }; done; die "no $1 built"; }

start=$SECONDS
mkdir -p "$CLUSTER_ROOT"/{pki,etcd,logs,pids,run,config,cni/net.d,kubelet,containerd}
# From here on, a failure tears down what was started.
# FIREDRILL_CLUSTER_KEEP=1 leaves it up to look at (tools/cluster/exec.sh), down.sh removes it.
failed() {
    local rc=$? logs="${FIREDRILL_CLUSTER_LOGS:-/tmp/firedrill-cluster-logs}"
    ((rc)) || return 0
    if [[ "${FIREDRILL_CLUSTER_KEEP:-0}" == 1 ]]; then
        say "bring-up failed (rc $rc); left up as asked: logs in $CLUSTER_ROOT/logs, tools/cluster/down.sh removes it"
    else
        say "bring-up failed (rc $rc); tearing down, logs kept in $logs"
        rm -rf "$logs"
        FIREDRILL_CLUSTER_LOGS="$logs" "$here/down.sh" || true
    fi
}
trap failed EXIT

# The pods' network namespaces appear under /run/netns as cni-*: remember those that are not
# this cluster's, for down.sh when containerd can no longer say which are.
ip netns list | awk '{ print $1 }' >"$CLUSTER_ROOT/run/netns-before"

# --- network: the node's namespace, linked to an empty one ---------------------------------------
say "network namespace $CLUSTER_NETNS (node $CLUSTER_NODE_IP, pods $CLUSTER_POD_CIDR, services $CLUSTER_SERVICE_CIDR)"
ip netns add "$CLUSTER_NETNS"
ip netns add "$CLUSTER_UPLINK_NETNS"
ip -n "$CLUSTER_NETNS" link set lo up
ip -n "$CLUSTER_NETNS" link add eth0 type veth peer name uplink0 netns "$CLUSTER_UPLINK_NETNS"
ip -n "$CLUSTER_NETNS" addr add "$CLUSTER_NODE_IP/24" dev eth0
ip -n "$CLUSTER_NETNS" link set eth0 up
ip -n "$CLUSTER_UPLINK_NETNS" addr add "$CLUSTER_UPLINK_IP/24" dev uplink0
ip -n "$CLUSTER_UPLINK_NETNS" link set uplink0 up
ip -n "$CLUSTER_NETNS" route add default via "$CLUSTER_UPLINK_IP"
in_node sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.route_localnet=1

# --- certificates ---------------------------------------------------------------------------------
say "certificates"
pki="$CLUSTER_ROOT/pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=firedrill-cluster-ca" -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
# cert NAME SUBJECT [SAN]: a key and a certificate signed by the cluster's CA.
cert() {
    local name="$1" subj="$2" san="${3:-}" ext="$pki/$1.ext"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subj" \
        -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
    { echo "basicConstraints=CA:FALSE"; echo "keyUsage=digitalSignature,keyEncipherment"
      if [[ -n "$san" ]]; then echo "extendedKeyUsage=serverAuth"; echo "subjectAltName=$san"
      else echo "extendedKeyUsage=clientAuth"; fi; } >"$ext"
    openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
        -days 2 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
    rm -f "$pki/$name.csr" "$ext"
}
cert apiserver "/CN=kube-apiserver" "IP:$CLUSTER_NODE_IP,IP:$CLUSTER_API_SERVICE_IP,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN,DNS:localhost"
cert kubelet-serving "/CN=$CLUSTER_NODE" "IP:$CLUSTER_NODE_IP,DNS:$CLUSTER_NODE"
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
cert admin "/O=system:masters/CN=firedrill-admin"
cert kubelet "/O=system:nodes/CN=system:node:$CLUSTER_NODE"
cert controller-manager "/CN=system:kube-controller-manager"
cert scheduler "/CN=system:kube-scheduler"
cert proxy "/CN=system:kube-proxy"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key" 2>/dev/null
kubeconfig() { # kubeconfig NAME: a kubeconfig for the client certificate NAME
    cat >"$pki/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: firedrill
    cluster: { server: "$CLUSTER_API", certificate-authority: "$pki/ca.crt" }
users:
  - name: $1
    user: { client-certificate: "$pki/$1.crt", client-key: "$pki/$1.key" }
contexts:
  - name: firedrill
    context: { cluster: firedrill, user: $1 }
current-context: firedrill
EOF
}
for c in admin kubelet controller-manager scheduler proxy; do kubeconfig "$c"; done

# run NAME CMD...: starts CMD in the node's namespace, logging to logs/NAME.log.
run() {
    local name="$1"; shift
    setsid nsenter --net="/run/netns/$CLUSTER_NETNS" -- "$@" >"$CLUSTER_ROOT/logs/$name.log" 2>&1 </dev/null &
    echo $! >"$CLUSTER_ROOT/pids/$name.pid"
}
# wait_until SECONDS WHAT CMD...: polls CMD every 0.5 s.
wait_until() {
    local limit="$1" what="$2"; shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "$what not within ${limit} s (logs in $CLUSTER_ROOT/logs)"
        sleep 0.5
    done
}
kc() { in_node "$(bin kubectl)" --kubeconfig "$CLUSTER_KUBECONFIG" "$@"; }

# --- control plane ---------------------------------------------------------------------------------
say "etcd, kube-apiserver"
run etcd "$(bin etcd)" --data-dir "$CLUSTER_ROOT/etcd" --listen-client-urls http://127.0.0.1:2379 \
    --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
    --unsafe-no-fsync --log-level warn
wait_until 30 "etcd" in_node bash -c 'exec 3<>/dev/tcp/127.0.0.1/2379'
run kube-apiserver "$(bin kube-apiserver)" \
    --etcd-servers=http://127.0.0.1:2379 --bind-address=0.0.0.0 --secure-port=6443 \
    --advertise-address="$CLUSTER_NODE_IP" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$pki/ca.crt" \
    --kubelet-preferred-address-types=InternalIP \
    --service-account-key-file="$pki/sa.key" --service-account-signing-key-file="$pki/sa.key" \
    --service-account-issuer="https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --service-cluster-ip-range="$CLUSTER_SERVICE_CIDR" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --allow-privileged=false --v=1
wait_until 90 "kube-apiserver ready" kc get --raw /readyz
say "kube-controller-manager, kube-scheduler"
run kube-controller-manager "$(bin kube-controller-manager)" \
    --kubeconfig="$pki/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$pki/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$pki/controller-manager.kubeconfig" \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --use-service-account-credentials --service-cluster-ip-range="$CLUSTER_SERVICE_CIDR" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --leader-elect=false --bind-address=127.0.0.1 --v=1
run kube-scheduler "$(bin kube-scheduler)" --kubeconfig="$pki/scheduler.kubeconfig" \
    --authentication-kubeconfig="$pki/scheduler.kubeconfig" \
    --authorization-kubeconfig="$pki/scheduler.kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --v=1

# --- the node: containerd, CNI, kubelet, kube-proxy ------------------------------------------------
say "containerd (CRI), CNI ptp, kubelet, kube-proxy"
cat >"$CLUSTER_ROOT/config/containerd.toml" <<EOF
version = 2
root = "$CLUSTER_ROOT/containerd/root"
state = "$CLUSTER_ROOT/containerd/state"
[grpc]
  address = "$CLUSTER_CONTAINERD_SOCK"
[ttrpc]
  address = "$CLUSTER_CONTAINERD_SOCK.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$CLUSTER_PAUSE_IMAGE"
  # Without CAP_SYS_RESOURCE a sandbox's oom_score_adj of -998 is refused, and runc fails with
  # "can't get final child's PID from pipe": clamp it to the runtime's own instead.
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$CLUSTER_ROOT/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        # runc's state with the cluster's, not in /run/containerd/runc.
        Root = "$CLUSTER_ROOT/run/runc"
EOF
# ptp: one veth a pod, routed by the node (no bridge, so service traffic between pods always
# crosses kube-proxy's rules, without br_netfilter).
cat >"$CLUSTER_ROOT/cni/net.d/10-firedrill.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "firedrill",
  "plugins": [
    { "type": "ptp", "ipMasq": false, "mtu": 1500,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$CLUSTER_POD_CIDR" }]],
                "routes": [{ "dst": "0.0.0.0/0" }], "dataDir": "$CLUSTER_ROOT/cni/ipam" } },
    { "type": "loopback" }
  ]
}
EOF
run containerd containerd --config "$CLUSTER_ROOT/config/containerd.toml"
wait_until 30 "containerd" ctr -a "$CLUSTER_CONTAINERD_SOCK" version

for c in /sys/fs/cgroup/*/; do
    [[ -d "$c" && -w "$c" ]] && mkdir -p "$c$CLUSTER_CGROUP"
done
cat >"$CLUSTER_ROOT/config/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: "$pki/ca.crt" }
authorization: { mode: Webhook }
tlsCertFile: "$pki/kubelet-serving.crt"
tlsPrivateKeyFile: "$pki/kubelet-serving.key"
address: "$CLUSTER_NODE_IP"
containerRuntimeEndpoint: "unix://$CLUSTER_CONTAINERD_SOCK"
cgroupDriver: cgroupfs
cgroupRoot: "/$CLUSTER_CGROUP"
clusterDNS: ["$CLUSTER_DNS_IP"]
clusterDomain: "$CLUSTER_DOMAIN"
resolvConf: "$CLUSTER_ROOT/config/resolv.conf"
podLogsDir: "$CLUSTER_ROOT/pod-logs"
failSwapOn: false
# This disk is shared with everything else on the machine: evict only when it is really full,
# and never collect images (every image was imported; none could be pulled back).
evictionHard: { "memory.available": "100Mi", "nodefs.available": "1Gi", "imagefs.available": "1Gi", "nodefs.inodesFree": "1%" }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
maxPods: 110
serializeImagePulls: false
localStorageCapacityIsolation: true
EOF
# Pods resolve through CoreDNS only; the node's own resolver lists nothing off the machine.
echo "nameserver $CLUSTER_DNS_IP" >"$CLUSTER_ROOT/config/resolv.conf"
run kubelet "$(bin kubelet)" --config="$CLUSTER_ROOT/config/kubelet.yaml" \
    --kubeconfig="$pki/kubelet.kubeconfig" --root-dir="$CLUSTER_ROOT/kubelet" \
    --hostname-override="$CLUSTER_NODE" --node-ip="$CLUSTER_NODE_IP" --v=1
cat >"$CLUSTER_ROOT/config/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: "$pki/proxy.kubeconfig" }
hostnameOverride: "$CLUSTER_NODE"
mode: iptables
clusterCIDR: "$CLUSTER_POD_CIDR"
# Leave the kernel's conntrack limits alone: they are the machine's, not this namespace's.
conntrack: { maxPerCore: 0 }
nodePortAddresses: ["$CLUSTER_NODE_IP/32"]
metricsBindAddress: "127.0.0.1:10249"
healthzBindAddress: "127.0.0.1:10256"
EOF
run kube-proxy "$(bin kube-proxy)" --config="$CLUSTER_ROOT/config/kube-proxy.yaml" --v=1
wait_until 120 "node $CLUSTER_NODE Ready" kc wait --for=condition=Ready "node/$CLUSTER_NODE" --timeout=2s

# --- images ------------------------------------------------------------------------------------------
for archive in "$@"; do
    say "importing $(basename "$archive")"
    ctr -a "$CLUSTER_CONTAINERD_SOCK" -n k8s.io images import "$archive" >/dev/null \
        || die "ctr images import $archive failed"
done

# --- cluster DNS ---------------------------------------------------------------------------------------
say "CoreDNS"
kc apply -f "$here/coredns.yaml" >/dev/null
wait_until 120 "CoreDNS available" kc -n kube-system wait --for=condition=Available deployment/coredns --timeout=2s

say "ready in $((SECONDS - start)) s; kubeconfig $CLUSTER_KUBECONFIG"
trap - EXIT
echo "$CLUSTER_KUBECONFIG"

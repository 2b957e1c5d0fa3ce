# The single-node cluster's facts, shared by tools/cluster/{up,down,exec,clean-check}.sh.
# Every address here lives inside network namespaces the scripts create (docs/kind.md, "The
# CI cluster"): nothing is routed off this machine.
# shellcheck shell=bash

# Where the cluster keeps everything: certificates, etcd's data, containerd's root and state,
# kubelet's root, the pods' network namespace mounts, the logs and the pid files.
CLUSTER_ROOT="${FIREDRILL_CLUSTER_ROOT:-/var/lib/firedrill-cluster}"
# The node's network namespace (every component and every pod network lives in it) and the
# empty one at the other end of its only link, where anything not for the node is dropped.
CLUSTER_NETNS="${FIREDRILL_CLUSTER_NETNS:-firedrill-node}"
CLUSTER_UPLINK_NETNS="${CLUSTER_NETNS}-uplink"
CLUSTER_NODE=firedrill-node
CLUSTER_NODE_IP=10.203.0.1
CLUSTER_UPLINK_IP=10.203.0.2
CLUSTER_POD_CIDR=10.244.0.0/24
CLUSTER_SERVICE_CIDR=10.96.0.0/16
CLUSTER_API_SERVICE_IP=10.96.0.1
CLUSTER_DNS_IP=10.96.0.10
CLUSTER_DOMAIN=cluster.local
CLUSTER_API="https://${CLUSTER_NODE_IP}:6443"
# The cgroup (in every v1 controller, or the v2 tree) kubelet nests the pods under.
CLUSTER_CGROUP=firedrill-cluster
CLUSTER_PAUSE_IMAGE=registry.k8s.io/pause:3.10.1

CLUSTER_KUBECONFIG="$CLUSTER_ROOT/pki/admin.kubeconfig"
CLUSTER_CONTAINERD_SOCK="$CLUSTER_ROOT/run/containerd.sock"

# in_node CMD...: runs CMD in the node's network namespace (only the network: the mount
# namespace stays the host's, so kubelet's volume mounts are visible to containerd).
in_node() { nsenter --net="/run/netns/$CLUSTER_NETNS" -- "$@"; }

#!/usr/bin/env bash
# Installs, from Debian and only when missing, what the test node (test/node/) and the image build
# need (docs/architecture.md#tests-on-a-real-node): containerd and runc run the pods, containernetworking-plugins put them on a
# bridge, iptables and conntrack serve kube-proxy, buildah builds the Dockerfile without a Docker
# engine, debootstrap makes the local base image's Debian root.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in containerd runc containernetworking-plugins iptables conntrack buildah debootstrap; do
  have "$p" || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
echo "node-packages: installing ${need[*]} from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
# Only the packages; containerd's own service is not started here: the test node runs its own.
apt-get install -y --no-install-recommends "${need[@]}" >&2 || { apt-get update >&2 && apt-get install -y --no-install-recommends "${need[@]}" >&2; }

#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager from the Go module proxy (DESIGN §6)
# into .bin/<kubernetes version>/, once per pinned version. Prints the folder on stdout last.
# Honours KUBEBUILDER_ASSETS when it already holds the three binaries.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bins=(etcd kube-apiserver kube-controller-manager)

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  ok=1
  for b in "${bins[@]}"; do [ -x "$KUBEBUILDER_ASSETS/$b" ] || ok=0; done
  if [ $ok = 1 ]; then
    echo "control plane: using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS" >&2
    echo "$KUBEBUILDER_ASSETS"
    exit 0
  fi
  echo "control plane: KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks ${bins[*]}; building instead" >&2
fi

version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2; exit}' "$here/go.mod")
[ -n "$version" ] && [ -n "$etcd_version" ] || { echo "control plane: cannot read pinned versions from $here/go.mod" >&2; exit 1; }
out="$here/.bin/$version"
stamp="$out/.stamp"
want="$version etcd=$etcd_version $(sha256sum "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "control plane: $version already built in $out" >&2
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "control plane: Go >= 1.24 is needed to build the control plane (see README)" >&2; exit 1; }
start=$(date +%s)
mkdir -p "$out"
rm -f "$stamp"
IFS=. read -r major minor _ <<<"${version#v}"
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor"
echo "control plane: building Kubernetes $version and etcd $etcd_version into $out (first time takes a while)" >&2
cd "$here"
export CGO_ENABLED=0 GOFLAGS=-mod=mod
go build -trimpath -ldflags "$ldflags" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build -trimpath -ldflags "$ldflags" -o "$out/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
echo "$want" >"$stamp"
echo "control plane: built in $(( $(date +%s) - start ))s" >&2
echo "$out"

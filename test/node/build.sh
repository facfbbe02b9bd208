#!/usr/bin/env bash
# Builds kubelet, kube-scheduler and kube-proxy for the test node (docs/architecture.md#tests-on-a-real-node) from the Go module
# proxy at the Kubernetes version pinned in test/controlplane/go.mod, into .bin/<version>/ here
# (git-ignored), once per pinned version. The build runs in a copy of that module, so the control
# plane's go.mod and go.sum (and its build stamp) stay as they are. Prints the folder on stdout last.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cp_mod=$here/../controlplane
bins=(kubelet kube-scheduler kube-proxy)
version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$cp_mod/go.mod")
[ -n "$version" ] || { echo "node: cannot read the pinned Kubernetes version from $cp_mod/go.mod" >&2; exit 1; }
out=$here/.bin/$version
stamp=$out/.stamp
want="$version $(cat "$cp_mod/go.mod" "$cp_mod/go.sum" "$0" | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "node: $version binaries already built in $out" >&2
  echo "$out"
  exit 0
fi
command -v go >/dev/null || { echo "node: Go >= 1.24 is needed to build kubelet, kube-scheduler and kube-proxy (see README)" >&2; exit 1; }
start=$(date +%s)
mkdir -p "$out"
rm -f "$stamp"
mod=$here/.bin/module
rm -rf "$mod" && mkdir -p "$mod"
cp "$cp_mod/go.mod" "$cp_mod/go.sum" "$mod/"
printf '//go:build tools\n\npackage node\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kubelet"\n\t_ "k8s.io/kubernetes/cmd/kube-scheduler"\n\t_ "k8s.io/kubernetes/cmd/kube-proxy"\n)\n' >"$mod/tools.go"
IFS=. read -r major minor _ <<<"${version#v}"
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor"
cd "$mod"
export CGO_ENABLED=0 GOFLAGS=-mod=mod
for b in "${bins[@]}"; do
  t0=$(date +%s)
  echo "node: building $b $version (Go module proxy; a few minutes the first time on 2 cores)" >&2
  go build -trimpath -ldflags "$ldflags" -o "$out/$b" "k8s.io/kubernetes/cmd/$b"
  echo "node: $b built in $(( $(date +%s) - t0 ))s" >&2
done
echo "$want" >"$stamp"
echo "node: built in $(( $(date +%s) - start ))s" >&2
echo "$out"

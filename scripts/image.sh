#!/usr/bin/env bash
# Builds Signet's image from the Dockerfile as shipped, with buildah (no Docker engine, docs/architecture.md#tests-on-a-real-node),
# on the local base image of test/node/base-image.sh (passed as the BASE_IMAGE build argument), and
# saves it as a docker-archive in test/node/.cache/image-<key>.tar, keyed by every input the Dockerfile
# reads, so an unchanged tree is never rebuilt. Prints "<image name> <archive path>" on stdout.
# The build stages run `npm ci`: buildah uses the host network for that (it reaches the npm registry only).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
cache=test/node/.cache
base=$(bash test/node/base-image.sh)
inputs=$( { echo "$base"; sha256sum Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json scripts/bundle.mjs;
  find src bin -type f -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-12)
image=localhost/signet:e2e-$inputs
archive=$cache/image-$inputs.tar
if [ -f "$archive" ]; then
  echo "image: $image already built ($archive)" >&2
  echo "$image $root/$archive"; exit 0
fi
mkdir -p "$cache"
t0=$(date +%s)
echo "image: buildah bud --build-arg BASE_IMAGE=$base -t $image ." >&2
# The CA bundle this machine's npm trusts (a proxy that re-signs TLS), as the Dockerfile's npm-ca secret.
ca=${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null || true)}
secret=()
[ -n "$ca" ] && [ "$ca" != null ] && [ -f "$ca" ] && secret=(--secret "id=npm-ca,src=$ca")
# chroot isolation: no nested runc or user namespaces needed for the RUN steps.
buildah bud --quiet --isolation chroot --network host --layers=false "${secret[@]}" \
  --build-arg "BASE_IMAGE=$base" -t "$image" -f Dockerfile . >&2
rm -f "$cache"/image-*.tar
buildah push --quiet "$image" "docker-archive:$archive.tmp:$image" >&2
mv "$archive.tmp" "$archive"
echo "image: built $image in $(( $(date +%s) - t0 ))s; archive $(du -h "$archive" | cut -f1)" >&2
echo "$image $root/$archive"

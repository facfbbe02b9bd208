#!/usr/bin/env bash
# Stops a test node started by node.ts and leaves nothing behind: the node's processes (their process
# groups in DIR/node-pgids), every pod's processes (the kubepods cgroups), containerd's containers and
# its shims (containerd runs in its own cgroup, DIR/containerd-cgroup), kube-proxy's iptables rules,
# the mounts under DIR and the pods' network namespaces; then removes DIR unless --keep-data.
# Used by node.ts and by its reaper when the owning process dies. Usage: teardown.sh DIR [--keep-data]
set -uo pipefail
dir=$1
keep=${2:-}
[ -d "$dir" ] || exit 0
bin=$(cat "$dir/node-bin" 2>/dev/null || true)
sock=$dir/containerd/containerd.sock

kill_groups() { # SIGTERM, up to 5 s, then SIGKILL
  local groups=("$@") g i
  [ ${#groups[@]} -eq 0 ] && return
  for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
  for i in $(seq 50); do
    local alive=0
    for g in "${groups[@]}"; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return
    sleep 0.1
  done
  for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
}
kill_cgroup() { # every process in a cgroup v1 tree (pids hierarchy)
  local root=$1 f p
  [ -d "$root" ] || return 0
  for f in $(find "$root" -name cgroup.procs 2>/dev/null); do
    for p in $(cat "$f" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  done
}

read -r -a groups < <(cat "$dir/node-pgids" 2>/dev/null; echo)
kill_groups "${groups[@]}"
kill_cgroup /sys/fs/cgroup/pids/kubepods
if [ -S "$sock" ]; then
  c="ctr --address $sock -n k8s.io"
  for t in $($c tasks ls -q 2>/dev/null); do $c tasks delete -f "$t" >/dev/null 2>&1; done
  for k in $($c containers ls -q 2>/dev/null); do $c containers delete "$k" >/dev/null 2>&1; done
fi
cg=$(cat "$dir/containerd-cgroup" 2>/dev/null || true)
[ -n "$cg" ] && { kill_cgroup "$cg"; sleep 0.2; rmdir "$cg" 2>/dev/null; }
[ -n "$bin" ] && [ -x "$bin/kube-proxy" ] && "$bin/kube-proxy" --cleanup >/dev/null 2>&1
# Deepest first; lazily, so a mount still busy for a moment does not stop the rest.
findmnt -rn -o TARGET | grep -E "^($dir|/run/netns/cni-|/var/run/netns/cni-)" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
rm -f /run/netns/cni-* 2>/dev/null
[ "$keep" = --keep-data ] || rm -rf "$dir"
exit 0

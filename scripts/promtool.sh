#!/usr/bin/env bash
# promtool, Prometheus' own rule checker, for the alert and dashboard tests (test/unit/monitoring/).
# Debian's `prometheus` package ships it; installed only when missing.
set -euo pipefail
if command -v promtool >/dev/null; then exit 0; fi
echo "promtool is missing: installing Debian's prometheus package (it ships promtool)" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
if ! command -v apt-get >/dev/null || { [ -n "$sudo" ] && ! command -v sudo >/dev/null; }; then
  echo "cannot install promtool here: install Prometheus' promtool (Debian/Ubuntu: apt-get install prometheus) and put it on the PATH" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y --no-install-recommends prometheus >/dev/null || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends prometheus >/dev/null; }
# The package's service is not wanted on a build machine (a no-op without systemd).
$sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
promtool --version >&2

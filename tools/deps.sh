#!/usr/bin/env bash
# Install the Debian 12 packages landrec needs to build, run and test.
# Usage: tools/deps.sh [build|test]   (test also installs the servers and tools the tests use)
set -euo pipefail
what=${1:-build}
build_pkgs=(build-essential cmake pkg-config git
  libgdal-dev libproj-dev libgeos-dev libpq-dev libfyaml-dev libjansson-dev libutf8proc-dev
  libxlsxwriter-dev libcmocka-dev libssl-dev gdal-bin proj-bin)
test_pkgs=(python3 python3-gdal sqlite3 postgresql-15 postgresql-15-postgis-3 postgresql-client-15
  clang libclang-rt-14-dev chromium slurm-wlm munge)
pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: everything is installed"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# One command for a newcomer: install dependencies, build, run the main job on the bundled
# samples and print where the extract is.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
build/landrec run config/sample.yaml --out out
echo "tax extract: $(readlink -f out/latest)/tax_extract.csv"

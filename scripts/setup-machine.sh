#!/usr/bin/env bash
# The one set-up script of a Debian machine for developing and testing DirectPred Lab: the apt
# packages the test suite uses, then the npm dependencies. `.ci/run` runs it; so does a new
# contributor (as root, or with sudo). Add a package the tests need HERE, nowhere else.
#
#   chromium                 end-to-end UI tests (playwright-core drives Debian's chromium); its
#                            SwiftShader Vulkan driver runs the WebGPU tests
#   libvulkan1               the Vulkan loader Dawn (npm webgpu) needs for those
#   dataset-fashion-mnist    the full Fashion-MNIST files (IDX) for the data-import tests
#   slurmctld slurmd         a real one-node Slurm cluster for the `--executor slurm` tests
#   slurm-client munge       (scripts/slurm-test-cluster.sh start|stop)
#   python3-torch            PyTorch for `npm run bench -- vs-pytorch` (run with /usr/bin/python3);
#                            not used by the tests: the bench says it skipped without it
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  chromium
  libvulkan1
  dataset-fashion-mnist
  slurmctld slurmd slurm-client munge
  python3-torch
)

SUDO=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "setup-machine: run as root or install sudo" >&2; exit 1; }
  SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
if [ "${1:-}" != "--no-npm" ]; then
  npm ci --no-audit --no-fund
fi

#!/usr/bin/env bash
# System packages for tests and tooling (Debian/Ubuntu, as root or with sudo):
#   chromium        headless browser with WebGPU (SwiftShader on machines without a GPU)
#   libvulkan1      the Vulkan loader that Dawn (npm "webgpu") needs in Node
#   python3-torch … the PyTorch reference, training and export tools (run as /usr/bin/python3);
#                   python3-torchvision only for the ImageNet class names that tools/convert_var.py writes
#   libopenblas0-pthread  fast BLAS for torch (the reference BLAS is ~15x slower)
#   fonts-noto-color-emoji  the emoji half of the default model's dataset
set -euo pipefail
PKGS=(chromium libvulkan1 python3-torch python3-torchvision python3-numpy python3-pil python3-onnx libopenblas0-pthread fonts-noto-color-emoji)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then echo "prereqs: all present"; exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}"

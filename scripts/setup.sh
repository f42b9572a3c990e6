#!/usr/bin/env bash
# Create .venv with mmseg-errseg and everything it needs (idempotent).
# TORCH_SPEC overrides the torch/torchvision pair installed when .venv has no torch yet.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
py=.venv/bin/python
$py -m pip install -q --upgrade pip
if ! $py -c 'import torch, torchvision' 2>/dev/null; then
  # shellcheck disable=SC2086
  $py -m pip install -q ${TORCH_SPEC:-torch==2.14.1 torchvision==0.29.1}
fi
$py -m pip install -q -e ".[all,dev]"

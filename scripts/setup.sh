#!/usr/bin/env bash
# Installs everything tfedge needs on a Debian machine, then runs the demo.
#   bash scripts/setup.sh            install (idempotent, quick when done) + `tfedge demo`
#   bash scripts/setup.sh --no-demo  install only (used by scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the tests render report.html headless and check that the page and its plots load.
APT_PACKAGES=(gcc gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm chromium python3 python3-venv)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# python3 / venv may come from elsewhere (pyenv); only ask apt for them when there is no working one.
if command -v python3 >/dev/null && python3 -c "import venv, ensurepip" 2>/dev/null; then
  missing=($(printf '%s\n' "${missing[@]}" | grep -vx -e python3 -e python3-venv || true))
fi
if ((${#missing[@]})); then
  echo "==> apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.tfedge-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ]; then
  echo "==> pip: installing tfedge (editable) with its keras and test extras into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[keras,search,test]"
  touch "$stamp"
fi

if [ "${1:-}" != "--no-demo" ]; then
  echo "==> tfedge demo"
  .venv/bin/tfedge demo --out demo-out
fi

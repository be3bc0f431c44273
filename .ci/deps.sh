#!/usr/bin/env bash
# Installs what seglake needs to build and test on Debian/Ubuntu, if missing.
# Used by `make` and by .ci/run. Does nothing when everything is present.
set -euo pipefail

pkgs=(build-essential cmake pkg-config ccache git
      libsqlite3-dev libfuse3-dev fuse3 libcpp-httplib-dev nlohmann-json3-dev
      libboost-dev libboost-test-dev libssl-dev libisal-dev libpugixml-dev libexpected-dev zlib1g-dev
      libbrotli-dev s3cmd rclone
      lintian rpm rpmlint)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "seglake: missing packages (${missing[*]}) and no apt-get; see README.md for macOS" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "seglake: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

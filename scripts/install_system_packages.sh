#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those that are missing.
# ffmpeg: audio extraction and video encoding; espeak-ng: speech for the demo corpus and tests;
# libegl1 + libgl1-mesa-dri: offscreen OpenGL for pyrender; chromium: browser tests.
set -euo pipefail
packages=(ffmpeg espeak-ng libegl1 libgl1-mesa-dri libgles2 fonts-dejavu-core chromium make python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/bin/sh
# `make run`: install Janus and coturn from Debian when they are missing and this machine can (root + apt).
# Silent when there is nothing to do or nothing we may do: `flask media run-janus` then prints the one line
# saying what to install, and everything but the stage works.
[ -x /usr/bin/janus ] && exit 0
[ "$(id -u)" -eq 0 ] || exit 0
command -v apt-get >/dev/null 2>&1 || exit 0
echo "Installing Janus and coturn from Debian (apt-get)…"
DEBIAN_FRONTEND=noninteractive timeout 600 sh -c 'apt-get update -qq && apt-get install -y -qq \
    -o DPkg::Lock::Timeout=120 janus coturn libjs-janus-gateway libjs-webrtc-adapter' >/dev/null 2>&1 \
    || echo "apt-get could not install janus (the stage will be unavailable)"
# Debian's package enables a system janus service on its default ports; ours runs on its own config.
command -v systemctl >/dev/null 2>&1 && systemctl disable --now janus >/dev/null 2>&1
exit 0

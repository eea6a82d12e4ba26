#!/usr/bin/env bash
# Every node (Debian 12): names of the lab in /etc/hosts, the hacluster password, the
# local apt repository. Idempotent: `vagrant provision` may run it again.
set -euo pipefail
: "${LAB_HOSTS:?}" "${LAB_HACLUSTER_PASSWORD:?}"

# /etc/hosts: the nodes' real addresses, and no "127.0.1.1 <hostname>" line — with it,
# `pcs cluster setup lab node1 node2` would put corosync on the loopback (each node
# alone in its own cluster). Vagrant writes that line when it sets the hostname.
tmp=$(mktemp)
grep -v -e '^127\.0\.1\.1[[:space:]]' -e '# labcheck$' /etc/hosts >"$tmp" || true
while read -r ip name; do
  [[ -n $ip ]] && printf '%s %s # labcheck\n' "$ip" "$name" >>"$tmp"
done <<<"$LAB_HOSTS"
cat "$tmp" >/etc/hosts; rm -f "$tmp"

# Under emulation (TCG) pcsd's Ruby half needs more than systemd's 90 s to start (the
# box has this already; kept here for older boxes).
for unit in pcsd pcsd-ruby; do
  if [[ ! -f /etc/systemd/system/$unit.service.d/labcheck-timeout.conf ]]; then
    mkdir -p "/etc/systemd/system/$unit.service.d"
    printf '[Service]\nTimeoutStartSec=900\n' >"/etc/systemd/system/$unit.service.d/labcheck-timeout.conf"
    systemctl daemon-reload
  fi
done

# Under emulation every pcs command takes tens of seconds, and pcs gives up on a node
# whose pcsd does not answer in 60 s (`pcs cluster setup` has no --request-timeout).
# Lab only, and only with LAB_DRIVER=qemu: raise pcs' default to 10 minutes.
pcs_settings=/usr/lib/python3/dist-packages/pcs/settings.py
if [[ ${LAB_DRIVER:-kvm} == qemu && -f $pcs_settings ]]; then
  sed -i 's/^default_request_timeout = 60$/default_request_timeout = 600/' "$pcs_settings"
fi

# The password the exercises use with `pcs host auth -u hacluster -p ...`.
if id hacluster >/dev/null 2>&1; then
  echo "hacluster:$LAB_HACLUSTER_PASSWORD" | chpasswd
fi

# apt knows only /srv/lab/debs (the lab has no Internet); keep its index fresh.
apt-get update -qq >/dev/null 2>&1 || echo "aviso: apt-get update falhou" >&2
echo "common: $(hostname) ok"

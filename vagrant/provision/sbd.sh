#!/usr/bin/env bash
# node1 and node2: SBD on the iSCSI disk that node3 serves (provision/node3.sh).
#   - the watchdog (softdog: the box's kernel has no i6300esb driver), loaded at boot;
#   - the iSCSI login, made automatic at boot, and the disk at a stable path;
#   - with LAB_SBD_CREATE=1 (one node only): `sbd create` if the disk has no header yet;
#   - /etc/default/sbd, and sbd waiting for the disk at boot.
# Idempotent. provision/cluster.sh then enables sbd (`pcs stonith sbd enable`: it starts
# with corosync, before pacemaker), creates the fence_sbd device and turns STONITH on.
set -euo pipefail
# set -e alone ends the script without a word (vagrant up only says "non-zero exit status")
trap 'echo "sbd: $(hostname): falhou na linha $LINENO: $BASH_COMMAND" >&2' ERR
: "${LAB_SBD_IQN:?}" "${LAB_SBD_PORTAL:?}" "${LAB_SBD_DEVICE:?}" "${LAB_SBD_WATCHDOG:?}"
: "${LAB_SBD_WATCHDOG_TIMEOUT:?}" "${LAB_SBD_MSGWAIT_TIMEOUT:?}"
dev=$LAB_SBD_DEVICE

# 1. Watchdog.
echo "$LAB_SBD_WATCHDOG" >/etc/modules-load.d/labcheck-watchdog.conf
modprobe "$LAB_SBD_WATCHDOG"
# udev makes the device node a moment after modprobe returns (a bare test lost that race
# once, silently, in `make e2e`)
for i in $(seq 1 30); do [[ -c /dev/watchdog ]] && break; udevadm settle || true; sleep 1; done
[[ -c /dev/watchdog ]] || { echo "sbd: /dev/watchdog não apareceu após modprobe $LAB_SBD_WATCHDOG" >&2; exit 1; }

# 2. iSCSI initiator. The box carries one InitiatorName for every machine; two sessions
#    with one name knock each other off the target, so each node gets its own.
name="InitiatorName=${LAB_SBD_IQN%%:*}:$(hostname)"
if ! grep -qx "$name" /etc/iscsi/initiatorname.iscsi; then
  echo "$name" >/etc/iscsi/initiatorname.iscsi
  systemctl restart iscsid.service
fi
# With `vagrant up` in parallel node3 may still be booting, or its tgt up without the target
# yet: wait until discovery lists the target, not only until the port answers.
for i in $(seq 1 120); do
  iscsiadm -m discovery -t sendtargets -p "$LAB_SBD_PORTAL" 2>/dev/null | grep -q " $LAB_SBD_IQN\$" && break
  [[ $i == 120 ]] && { echo "sbd: o alvo $LAB_SBD_IQN de $LAB_SBD_PORTAL não apareceu em 10 min" >&2; exit 1; }
  sleep 5
done
if ! iscsiadm -m session 2>/dev/null | grep -q " $LAB_SBD_IQN "; then
  iscsiadm -m node -T "$LAB_SBD_IQN" -p "$LAB_SBD_PORTAL" --op update -n node.startup -v automatic
  iscsiadm -m node -T "$LAB_SBD_IQN" -p "$LAB_SBD_PORTAL" --login
fi
systemctl enable open-iscsi.service iscsid.socket >/dev/null 2>&1
for i in $(seq 1 60); do [[ -b $dev ]] && break; udevadm settle || true; sleep 1; done
test -b "$dev" || { echo "sbd: $dev não apareceu" >&2; exit 1; }

# 3. The header, once: -1 watchdog timeout, -4 msgwait (vagrant/lab.yaml says why).
if [[ ${LAB_SBD_CREATE:-0} == 1 ]] && ! sbd -d "$dev" dump >/dev/null 2>&1; then
  sbd -d "$dev" -1 "$LAB_SBD_WATCHDOG_TIMEOUT" -4 "$LAB_SBD_MSGWAIT_TIMEOUT" create
fi

# 4. /etc/default/sbd (Debian's file, three values replaced).
sed -i -e "s|^#\?SBD_DEVICE=.*|SBD_DEVICE=\"$dev\"|" \
       -e "s|^#\?SBD_WATCHDOG_DEV=.*|SBD_WATCHDOG_DEV=/dev/watchdog|" \
       -e "s|^#\?SBD_WATCHDOG_TIMEOUT=.*|SBD_WATCHDOG_TIMEOUT=$LAB_SBD_WATCHDOG_TIMEOUT|" /etc/default/sbd
grep -q "^SBD_DEVICE=\"$dev\"$" /etc/default/sbd ||
  { echo "sbd: SBD_DEVICE não ficou em /etc/default/sbd" >&2; exit 1; }

# 5. At boot, sbd (and so corosync) waits for the disk: node3 may come up later than this
#    node, and open-iscsi logs in only once. Debian names the unit open-iscsi.service,
#    not the iscsi.service that sbd.service orders itself after.
mkdir -p /etc/systemd/system/sbd.service.d
cat >/etc/systemd/system/sbd.service.d/labcheck-disk.conf <<UNIT
[Unit]
After=open-iscsi.service iscsid.service
Wants=open-iscsi.service

[Service]
ExecStartPre=/bin/sh -c 'for i in \$(seq 1 120); do [ -b $dev ] && exit 0; iscsiadm -m node --loginall=automatic >/dev/null 2>&1; sleep 5; done; echo "disco do SBD ausente: $dev" >&2; exit 1'
TimeoutStartSec=900
UNIT
systemctl daemon-reload
echo "sbd: $(hostname) ok ($dev; watchdog: $(cat /sys/class/watchdog/watchdog0/identity); sbd.service $(systemctl is-enabled sbd.service), $(systemctl is-active sbd.service))"

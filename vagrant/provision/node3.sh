#!/usr/bin/env bash
# node3: only the base system — no pacemaker, corosync or pcs (exercise 2 installs
# pacemaker-remote and pcs from the local repository /srv/lab/debs). It also serves the
# exercise 1 VM's disk over NFS and the SBD disk over iSCSI to node1 and node2. Idempotent.
set -euo pipefail
: "${LAB_SUBNET:?}"

# The box is the same for every node; take the cluster stack off this one. The .debs
# stay in /srv/lab/debs, so `apt-get install pacemaker-remote pcs` works offline.
# Only on the first run: exercise 2 installs pcs and pacemaker-remote here, and a later
# `vagrant provision` must not take the student's work away.
stripped=/var/lib/labcheck/node3-cluster-stack-removed
if [[ ! -f $stripped ]]; then
  if ! dpkg -s pacemaker-remote >/dev/null 2>&1; then
    if dpkg -s pacemaker >/dev/null 2>&1 || dpkg -s corosync >/dev/null 2>&1 || dpkg -s pcs >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get purge -y -q pacemaker pacemaker-cli-utils corosync pcs >/dev/null
    fi
    # The box's Pacemaker authkey is not the cluster's: exercise 2 brings the right one.
    rm -f /etc/pacemaker/authkey
  fi
  mkdir -p "${stripped%/*}" && touch "$stripped"
fi
# No hypervisor work here either.
systemctl disable --now libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket >/dev/null 2>&1 || true

# NFS export with the exercise 1 VM's disk (no_root_squash: libvirt on the hosts
# changes the image's owner when it starts the VM).
mkdir -p /srv/nfs/images
if [[ ! -f /srv/nfs/images/vm1.qcow2 ]]; then
  qemu-img create -q -f qcow2 /srv/nfs/images/vm1.qcow2 64M
fi
line="/srv/nfs/images $LAB_SUBNET.0/24(rw,sync,no_subtree_check,no_root_squash)"
grep -qxF "$line" /etc/exports || echo "$line" >>/etc/exports
systemctl enable --now nfs-server.service
exportfs -ra
exportfs -v

# The SBD disk of node1 and node2, over iSCSI (tgt reads /etc/tgt/conf.d at start). A
# file in node3's own disk, so `vagrant snapshot` (internal, qcow2) keeps it with node3.
if [[ -n ${LAB_SBD_IQN:-} ]]; then
  mkdir -p /srv/iscsi
  [[ -f /srv/iscsi/sbd.img ]] || truncate -s "${LAB_SBD_DISK_MB:?}M" /srv/iscsi/sbd.img
  conf=$(cat <<CONF
# Disco do SBD do cluster (vagrant/lab.yaml, provision/node3.sh).
<target $LAB_SBD_IQN>
    backing-store /srv/iscsi/sbd.img
    initiator-address $LAB_SUBNET.0/24
    write-cache off
</target>
CONF
)
  systemctl enable tgt.service >/dev/null 2>&1
  # Restart only on a change: a restart drops node1's and node2's sessions for a moment.
  if [[ $(cat /etc/tgt/conf.d/labcheck-sbd.conf 2>/dev/null) != "$conf" ]] || ! systemctl -q is-active tgt; then
    printf '%s\n' "$conf" >/etc/tgt/conf.d/labcheck-sbd.conf
    systemctl restart tgt.service   # tgt-admin reads the configuration at start
  fi
  tgtadm --lld iscsi --mode target --op show | grep -E '^Target|Backing store path|ACL|[0-9]+\.[0-9]+\.'
fi
echo "node3: base system + NFS + iSCSI ok"

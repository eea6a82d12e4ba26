#!/usr/bin/env bash
# node1 and node2: libvirt for the exercise 1 VM, the shared NFS storage, pcsd.
# Idempotent. NOT done here (students' work): SSH between the hosts, the VM resource.
set -euo pipefail
: "${LAB_NFS_SERVER:?}"
shared=/var/lib/libvirt/images/shared

# Debian's corosync package ships an example corosync.conf; pcs cluster setup refuses a
# node that has one ("cluster configuration files found").
if [[ -f /etc/corosync/corosync.conf ]] && ! systemctl -q is-active corosync \
   && ! grep -q "cluster_name: ${LAB_CLUSTER_NAME:-lab}\$" /etc/corosync/corosync.conf; then
  rm -f /etc/corosync/corosync.conf
fi

systemctl enable --now virtlogd.socket libvirtd.service pcsd.service

# Shared storage for live migration: node3 exports /srv/nfs/images. An automount, so
# it does not matter which VM boots first (node3 may come up after this one).
mkdir -p "$shared"
line="$LAB_NFS_SERVER:/srv/nfs/images $shared nfs defaults,_netdev,nofail,x-systemd.automount,x-systemd.mount-timeout=60 0 0"
if ! grep -qF " $shared nfs " /etc/fstab; then
  echo "$line" >>/etc/fstab
fi
systemctl daemon-reload
systemctl start "$(systemd-escape --path "$shared").automount" || true

# The VM's definition for the students (exercise 1 copies it to /etc/pacemaker/vm1.xml).
test -f /srv/lab/vm1.xml
mkdir -p /etc/pacemaker
echo "hypervisor: $(hostname) ok (libvirtd.socket $(systemctl is-active libvirtd.socket), pcsd $(systemctl is-active pcsd))"

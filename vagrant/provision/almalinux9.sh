#!/usr/bin/env bash
# AlmaLinux 9 (RHEL 9 family) version of the provisioning — UNTESTED.
# Written alongside the Debian scripts, but never run: no AlmaLinux box can be built
# offline on the machine where this lab was developed (the Debian box is built from
# Debian packages by box/build.sh). It needs a box with Internet access, e.g.
# almalinux/9 from Vagrant Cloud, and LAB_BOX=almalinux/9 plus the kernel/initrd
# settings removed from the Vagrantfile (that box has a boot loader).
#
# Usage (as root, same environment variables as the Debian scripts):
#   ROLE=hypervisor almalinux9.sh   # node1, node2
#   ROLE=node3      almalinux9.sh   # node3 (base system + NFS server)
#   ROLE=cluster    almalinux9.sh   # the last cluster node: forms the cluster
set -euo pipefail
: "${ROLE:?ROLE=hypervisor|node3|cluster}" "${LAB_HOSTS:?}" "${LAB_SUBNET:?}"
: "${LAB_HACLUSTER_PASSWORD:=labcheck}" "${LAB_CLUSTER_NAME:=lab}" "${LAB_NFS_SERVER:=$LAB_SUBNET.13}"

# /etc/hosts without the "127.0.1.1 <hostname>" trap (see common.sh).
tmp=$(mktemp)
grep -v -e '^127\.0\.1\.1[[:space:]]' -e '# labcheck$' /etc/hosts >"$tmp" || true
while read -r ip name; do [[ -n $ip ]] && printf '%s %s # labcheck\n' "$ip" "$name" >>"$tmp"; done <<<"$LAB_HOSTS"
cat "$tmp" >/etc/hosts; rm -f "$tmp"

case "$ROLE" in
  hypervisor)
    dnf install -y dnf-plugins-core
    # Pacemaker, pcs, corosync and the fence agents live in the HighAvailability repo.
    dnf config-manager --set-enabled highavailability
    dnf install -y pacemaker pcs corosync resource-agents fence-agents-all \
                   libvirt qemu-kvm nfs-utils
    echo "hacluster:$LAB_HACLUSTER_PASSWORD" | chpasswd
    systemctl enable --now pcsd libvirtd
    if systemctl -q is-active firewalld; then
      firewall-cmd --permanent --add-service=high-availability
      firewall-cmd --permanent --add-port=49152-49215/tcp    # libvirt live migration
      firewall-cmd --reload
    fi
    shared=/var/lib/libvirt/images/shared
    mkdir -p "$shared"
    grep -qF " $shared nfs " /etc/fstab || echo "$LAB_NFS_SERVER:/srv/nfs/images $shared nfs defaults,_netdev,nofail,x-systemd.automount 0 0" >>/etc/fstab
    systemctl daemon-reload
    # SELinux: let qemu use images on NFS.
    setsebool -P virt_use_nfs 1 || true
    mkdir -p /etc/pacemaker /srv/lab
    # /srv/lab/vm1.xml: copy it from the Debian box (box/build.sh writes it) and point
    # <kernel>/<initrd> at a kernel present on both hosts, e.g. /boot/vmlinuz-$(uname -r).
    ;;
  node3)
    # Base system only: exercise 2 installs pacemaker-remote (HighAvailability repo).
    dnf install -y dnf-plugins-core nfs-utils qemu-img
    dnf config-manager --set-enabled highavailability
    mkdir -p /srv/nfs/images
    test -f /srv/nfs/images/vm1.qcow2 || qemu-img create -q -f qcow2 /srv/nfs/images/vm1.qcow2 64M
    line="/srv/nfs/images $LAB_SUBNET.0/24(rw,sync,no_subtree_check,no_root_squash)"
    grep -qxF "$line" /etc/exports || echo "$line" >>/etc/exports
    systemctl enable --now nfs-server
    exportfs -ra
    if systemctl -q is-active firewalld; then
      firewall-cmd --permanent --add-service=nfs --add-port=3121/tcp --add-port=2224/tcp
      firewall-cmd --reload
    fi
    ;;
  cluster)
    # As cluster.sh with fencing: none. No SBD in this untested variant: porting
    # provision/sbd.sh (targetcli instead of tgt, iscsi-initiator-utils) waits for a box
    # that can be built here; exercise 1's fencing step fails on this lab until then.
    names=() setup_args=()
    for pair in $LAB_CLUSTER_NODES; do names+=("${pair%%=*}"); setup_args+=("${pair%%=*}" "addr=${pair#*=}"); done
    if [[ ! -f /etc/corosync/corosync.conf ]]; then
      pcs host auth "${names[@]}" -u hacluster -p "$LAB_HACLUSTER_PASSWORD"
      pcs cluster setup "$LAB_CLUSTER_NAME" "${setup_args[@]}" --start --enable --wait=600
    fi
    # Only while unset: a later run must not switch off fencing a student configured.
    crm_attribute --type crm_config --name stonith-enabled --query >/dev/null 2>&1 ||
      pcs property set stonith-enabled=false
    pcs status
    ;;
  *) echo "ROLE deve ser hypervisor, node3 ou cluster" >&2; exit 2 ;;
esac

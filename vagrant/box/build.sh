#!/usr/bin/env bash
# Builds the lab's Vagrant box (libvirt provider) for Debian 12 with no box download:
# debootstrap + Debian packages only. Run as root on a Debian/Ubuntu host with
# debootstrap, qemu-utils, e2fsprogs and dpkg-dev.
#
#   sudo vagrant/box/build.sh            # -> vagrant/box/labcheck-debian12.box (+ vagrant box add)
#
# Output, next to this script:
#   labcheck-debian12.box   tar of box.img (qcow2) + metadata.json + Vagrantfile
#   vmlinuz, initrd.img     the box's kernel, also copied to /var/lib/libvirt/boot/
#                           (the Vagrantfile boots the VMs with direct kernel boot:
#                           the image has no boot loader)
# Downloads are cached under /var/cache/labcheck (CACHE=...), so a re-build is offline.
# Environment: MIRROR, CACHE, WORK (build dir), BOX_ADD=0 (skip `vagrant box add`),
#              BOX_NAME (labcheck/debian12), DISK_GB (8).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
CACHE="${CACHE:-/var/cache/labcheck}"
WORK="${WORK:-$CACHE/box-build}"
ROOTFS="$WORK/rootfs"
BOX_NAME="${BOX_NAME:-labcheck/debian12}"
DISK_GB="${DISK_GB:-8}"
BOOT_DIR="${BOOT_DIR:-/var/lib/libvirt/boot}"
BOX="$HERE/labcheck-debian12.box"
VAGRANT_PUB="${VAGRANT_PUB:-}"

# Installed in the box.
BASE_PKGS=systemd,systemd-sysv,udev,dbus,openssh-server,sudo,linux-image-cloud-amd64,ifupdown,isc-dhcp-client,iproute2,kmod,ca-certificates,gnupg
HA_PKGS=(pacemaker pacemaker-cli-utils pcs corosync resource-agents fence-agents
         python3-cffi-backend
         libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
         qemu-system-x86 qemu-utils netcat-openbsd
         nfs-kernel-server nfs-common
         busybox-static cpio
         iputils-ping less vim-tiny nano procps psmisc rsync curl bash-completion
         libxml2-utils   # ocf-tester validates meta-data with xmllint (exercise 4)
         # SBD fencing (fence_sbd is in fence-agents): node3 serves the shared disk over
         # iSCSI (tgt), node1 and node2 log in to it (open-iscsi)
         sbd tgt open-iscsi)
# Kept in the box's local apt repository (/srv/lab/debs), NOT installed: the students
# install them offline in the exercises. node3 also re-installs pcs from there.
# Exercise 5 installs apache2 and haproxy.
OFFLINE_PKGS=(pacemaker-remote postgresql postgresql-client apache2 haproxy)
OFFLINE_ALSO=(pcs corosync pacemaker pacemaker-cli-utils resource-agents)

log() { printf '[build %s] %s\n' "$(date +%T)" "$*" >&2; }
[[ $(id -u) == 0 ]] || { echo "build.sh: rode como root (debootstrap, chroot)." >&2; exit 2; }
for tool in debootstrap mkfs.ext4 qemu-img dpkg-scanpackages tar; do
  command -v "$tool" >/dev/null || { echo "build.sh: falta $tool (apt install debootstrap qemu-utils e2fsprogs dpkg-dev)" >&2; exit 2; }
done
if [[ -z $VAGRANT_PUB ]]; then
  VAGRANT_PUB=$(ls /usr/share/rubygems-integration/all/gems/vagrant-*/keys/vagrant.pub \
                   /opt/vagrant/embedded/gems/gems/vagrant-*/keys/vagrant.pub 2>/dev/null | head -1 || true)
fi
[[ -f $VAGRANT_PUB ]] || { echo "build.sh: chave pública insegura do Vagrant não encontrada (VAGRANT_PUB=...)" >&2; exit 2; }

mkdir -p "$CACHE/debootstrap" "$CACHE/apt-archives/partial" "$WORK"

umount_all() {
  local m
  for m in var/cache/apt/archives dev/pts dev proc sys; do
    mountpoint -q "$ROOTFS/$m" 2>/dev/null && umount -l "$ROOTFS/$m" || true
  done
}
trap umount_all EXIT

# 1. Base system (debootstrap keeps its .debs in $CACHE/debootstrap).
umount_all
rm -rf "$ROOTFS"
log "debootstrap $SUITE (minbase)"
debootstrap --variant=minbase --cache-dir="$CACHE/debootstrap" --include="$BASE_PKGS" \
  "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -30 "$WORK/debootstrap.log" >&2; exit 1; }

mount -t proc proc "$ROOTFS/proc"
mount -t sysfs sys "$ROOTFS/sys"
mount --bind /dev "$ROOTFS/dev"
mount --bind /dev/pts "$ROOTFS/dev/pts"
mount --bind "$CACHE/apt-archives" "$ROOTFS/var/cache/apt/archives"
cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"; chmod +x "$ROOTFS/usr/sbin/policy-rc.d"
cat >"$ROOTFS/etc/apt/sources.list" <<SRC
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
SRC
# Keep the downloaded .debs (Debian's docker images delete them).
echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >"$ROOTFS/etc/apt/apt.conf.d/01keep-debs"
in_root() { LC_ALL=C DEBIAN_FRONTEND=noninteractive chroot "$ROOTFS" "$@"; }

# 2. The HA stack and libvirt.
log "apt-get install (HA, libvirt, NFS) — $(( ${#HA_PKGS[@]} )) packages"
in_root apt-get update -q >"$WORK/apt.log" 2>&1
in_root apt-get install -y -q --no-install-recommends "${HA_PKGS[@]}" >>"$WORK/apt.log" 2>&1 \
  || { tail -30 "$WORK/apt.log" >&2; exit 1; }
in_root dpkg --audit | tee -a "$WORK/apt.log" >&2 || true

# 3. The offline repository: the packages the exercises install, with their missing deps.
log "local repository /srv/lab/debs"
in_root apt-get install -y -q --download-only --no-install-recommends "${OFFLINE_PKGS[@]}" >>"$WORK/apt.log" 2>&1
repo="$ROOTFS/srv/lab/debs"
rm -rf "$repo"; mkdir -p "$repo"
mapfile -t wanted < <(in_root apt-get install -s --no-install-recommends "${OFFLINE_PKGS[@]}" 2>/dev/null \
                       | awk '/^Inst /{print $2}')
wanted+=("${OFFLINE_ALSO[@]}")
for pkg in "${wanted[@]}"; do
  ver=$(in_root apt-cache policy "$pkg" | awk '/Candidate:/{print $2}')
  ver=${ver//:/%3a}
  f=$(ls "$CACHE/apt-archives/${pkg}_${ver}_"*.deb 2>/dev/null | head -1 || true)
  [[ -n $f ]] || { echo "build.sh: .deb de $pkg $ver não está no cache" >&2; exit 1; }
  cp "$f" "$repo/"
done
(cd "$repo" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null >Packages && gzip -kf Packages)
log "local repository: $(ls "$repo"/*.deb | wc -l) packages, $(du -sh "$repo" | cut -f1)"
# Inside the VMs, apt only knows the local repository (the lab has no Internet).
mkdir -p "$ROOTFS/etc/apt/sources.list.d"
echo 'deb [trusted=yes] file:/srv/lab/debs ./' >"$ROOTFS/etc/apt/sources.list.d/labcheck-local.list"
sed 's/^deb /# deb /' -i "$ROOTFS/etc/apt/sources.list"
sed -i '1i # Sem Internet no laboratório: os pacotes dos exercícios estão em /srv/lab/debs.\n# Com Internet, descomente as linhas abaixo e rode apt-get update.' "$ROOTFS/etc/apt/sources.list"
rm -rf "$ROOTFS/var/lib/apt/lists/"*
in_root apt-get update -q >>"$WORK/apt.log" 2>&1
in_root apt-get install -s pacemaker-remote postgresql apache2 haproxy >/dev/null \
  || { echo "build.sh: o repositório local não resolve pacemaker-remote/postgresql/apache2/haproxy" >&2; exit 1; }

# 4. Configuration.
log "configure"
echo labcheck >"$ROOTFS/etc/hostname"
cat >"$ROOTFS/etc/hosts" <<'HOSTS'
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
HOSTS
echo '/dev/vda / ext4 defaults,errors=remount-ro 0 1' >"$ROOTFS/etc/fstab"
cat >"$ROOTFS/etc/network/interfaces" <<'NET'
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet dhcp

source /etc/network/interfaces.d/*
NET
# vagrant user: insecure key, passwordless sudo.
in_root useradd -m -s /bin/bash vagrant 2>/dev/null || true
install -d -m 700 -o 1000 -g 1000 "$ROOTFS/home/vagrant/.ssh"
install -m 600 -o 1000 -g 1000 "$VAGRANT_PUB" "$ROOTFS/home/vagrant/.ssh/authorized_keys"
echo 'vagrant ALL=(ALL) NOPASSWD: ALL' >"$ROOTFS/etc/sudoers.d/vagrant"; chmod 440 "$ROOTFS/etc/sudoers.d/vagrant"
echo 'root:vagrant' | in_root chpasswd
echo 'hacluster:labcheck' | in_root chpasswd
install -d -m 700 "$ROOTFS/root/.ssh"
# sshd: no DNS lookups (no DNS in the lab); host keys made at first boot.
printf 'UseDNS no\nHostKey /etc/ssh/ssh_host_ed25519_key\nHostKey /etc/ssh/ssh_host_ecdsa_key\n' \
  >"$ROOTFS/etc/ssh/sshd_config.d/labcheck.conf"
# The host's LANG/LC_* (pt_BR.UTF-8 on a student's laptop) is not generated in the VMs:
# do not accept it over SSH (apt/pg_createcluster would fail on an invalid locale).
sed -i 's/^AcceptEnv/#AcceptEnv/' "$ROOTFS/etc/ssh/sshd_config"
echo 'LANG=C.UTF-8' >"$ROOTFS/etc/default/locale"
rm -f "$ROOTFS"/etc/ssh/ssh_host_*
cat >"$ROOTFS/etc/systemd/system/ssh-hostkeys.service" <<'UNIT'
[Unit]
Description=Generate SSH host keys on first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
# ed25519 and ECDSA only: an RSA key takes minutes to make under emulation (TCG).
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key
ExecStart=/usr/bin/ssh-keygen -q -t ecdsa -N "" -f /etc/ssh/ssh_host_ecdsa_key

[Install]
WantedBy=multi-user.target ssh.service
UNIT
in_root systemctl enable ssh-hostkeys.service >/dev/null 2>&1
# Under emulation (TCG) pcsd's Ruby half needs more than systemd's 90 s to start.
for unit in pcsd pcsd-ruby pacemaker corosync; do
  install -d "$ROOTFS/etc/systemd/system/$unit.service.d"
  printf '[Service]\nTimeoutStartSec=900\n' >"$ROOTFS/etc/systemd/system/$unit.service.d/labcheck-timeout.conf"
done
# The cluster starts only where provisioning sets it up; pcsd is ready everywhere.
in_root systemctl disable corosync.service pacemaker.service >/dev/null 2>&1 || true
# sbd's package makes corosync (sbd) and pacemaker_remote (sbd_remote) require it; with
# no device and no watchdog it fails and takes them with it (node3 of exercise 2, too).
# provision/sbd.sh configures sbd and enables it on node1 and node2.
in_root systemctl disable sbd.service sbd_remote.service >/dev/null 2>&1 || true
# Only node3 serves iSCSI (provision/node3.sh enables it there).
in_root systemctl disable tgt.service >/dev/null 2>&1 || true
in_root systemctl enable pcsd.service libvirtd.service virtlogd.socket >/dev/null 2>&1 || true
# Debian's corosync ships an example corosync.conf; pcs cluster setup refuses nodes
# that have one ("cluster configuration files found").
rm -f "$ROOTFS/etc/corosync/corosync.conf"
# Nor one Pacemaker authkey for every student's lab: pcs cluster setup makes one.
rm -f "$ROOTFS/etc/pacemaker/authkey"
# libvirt's NAT network needs dnsmasq and is of no use to the exercise's VM.
rm -f "$ROOTFS/etc/libvirt/qemu/networks/autostart/default.xml"
# Fast boot: no waiting for a network that may not answer.
sed -i 's/^#\?timeout .*/timeout 15;/' "$ROOTFS/etc/dhcp/dhclient.conf" 2>/dev/null || true
: >"$ROOTFS/etc/machine-id"; rm -f "$ROOTFS/var/lib/dbus/machine-id"

# 5. The exercise 1 guest: the box's kernel + a busybox initramfs (no disk needed to boot;
#    the qcow2 disk on the shared NFS is attached so migration exercises shared storage).
log "exercise 1 guest (kernel + busybox initramfs)"
kver=$(ls "$ROOTFS/lib/modules" | sort -V | tail -1)
g="$WORK/guest-initrd"; rm -rf "$g"; mkdir -p "$g"/{bin,proc,sys,dev,tmp,lib/modules,etc/acpi/PWRF}
cp "$ROOTFS/bin/busybox" "$g/bin/busybox"
# Modules, in load order: the power button (so `virsh shutdown`, VirtualDomain's stop, is
# obeyed instead of waiting out the stop timeout) and virtio-blk (the guest sees its disk).
guest_modules="drivers/input/evdev drivers/acpi/button drivers/virtio/virtio
  drivers/virtio/virtio_ring drivers/virtio/virtio_pci_legacy_dev
  drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/block/virtio_blk"
for m in $guest_modules; do
  cp "$ROOTFS/lib/modules/$kver/kernel/$m.ko" "$g/lib/modules/"
  echo "${m##*/}" >>"$g/lib/modules/order"
done
cat >"$g/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
while read -r m; do insmod "/lib/modules/$m.ko"; done </lib/modules/order
# acpid only watches the event devices that exist when it starts: wait for the button's.
for _ in 1 2 3 4 5 6 7 8 9 10; do
  grep -qs "Power Button" /sys/class/input/event*/device/name &&
    [ "$(ls /dev/input | grep -c event)" = "$(ls /sys/class/input | grep -c event)" ] && break
  sleep 0.5
done
mkdir -p /var/log; acpid
echo "vm1: busybox guest up ($(uname -r)); disks: $(ls /sys/block | tr '\n' ' ')"
while :; do sleep 3600; done
INIT
cat >"$g/etc/acpi/PWRF/00000080" <<'PWRF'
#!/bin/sh
echo "vm1: botão de energia (ACPI), desligando" >/dev/console
sync; poweroff -f
PWRF
chmod +x "$g/init" "$g/etc/acpi/PWRF/00000080"
install -d "$ROOTFS/srv/lab"
(cd "$g" && find . | cpio -o -H newc 2>/dev/null | gzip -9) >"$ROOTFS/srv/lab/vm1-initrd.img"
cp "$ROOTFS/boot/vmlinuz-$kver" "$ROOTFS/srv/lab/vm1-vmlinuz"
chmod 644 "$ROOTFS"/srv/lab/vm1-*
cat >"$ROOTFS/srv/lab/vm1.xml" <<'XML'
<!-- VM de teste do exercício 1: kernel + initramfs busybox, 128 MiB, emulação (TCG).
     O disco fica no NFS do node3, montado em /var/lib/libvirt/images/shared nos dois hospedeiros. -->
<domain type='qemu'>
  <name>vm1</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/srv/lab/vm1-vmlinuz</kernel>
    <initrd>/srv/lab/vm1-initrd.img</initrd>
    <cmdline>console=ttyS0 quiet</cmdline>
  </os>
  <features><acpi/><apic/></features>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='/var/lib/libvirt/images/shared/vm1.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='none'/>
  </devices>
</domain>
XML
cat >"$ROOTFS/srv/lab/README" <<'TXT'
Arquivos do laboratório labcheck (módulo 07):
  debs/           repositório apt local (apt-get install pacemaker-remote / postgresql /
                  apache2 / haproxy sem Internet)
  agents/labapp   o agente OCF do curso (lição 7.3.4 e exercício 4), posto pelo Vagrantfile
  vm1.xml         domínio libvirt da VM de teste do exercício 1 (copie para /etc/pacemaker/vm1.xml)
  vm1-vmlinuz, vm1-initrd.img   kernel e initramfs da VM de teste
TXT

# 6. Clean up and pack.
rm -f "$ROOTFS/usr/sbin/policy-rc.d" "$ROOTFS/etc/apt/apt.conf.d/01keep-debs"
: >"$ROOTFS/etc/resolv.conf"
umount_all
rm -rf "$ROOTFS/var/cache/apt/archives/"*.deb "$ROOTFS/var/cache/apt/"*.bin "$ROOTFS/tmp/"*
cp "$ROOTFS/boot/vmlinuz-$kver" "$HERE/vmlinuz"
cp "$ROOTFS/boot/initrd.img-$kver" "$HERE/initrd.img"
chmod 644 "$HERE/vmlinuz" "$HERE/initrd.img"
install -d -m 711 "$BOOT_DIR"
install -m 644 "$HERE/vmlinuz" "$BOOT_DIR/labcheck-debian12-vmlinuz"
install -m 644 "$HERE/initrd.img" "$BOOT_DIR/labcheck-debian12-initrd.img"

log "disk image (${DISK_GB} GiB ext4, qcow2)"
pack="$WORK/pack"; rm -rf "$pack"; mkdir -p "$pack"
rm -f "$WORK/disk.raw"
mkfs.ext4 -q -F -L root -d "$ROOTFS" "$WORK/disk.raw" "${DISK_GB}G"
qemu-img convert -O qcow2 "$WORK/disk.raw" "$pack/box.img"
rm -f "$WORK/disk.raw"
printf '{"provider":"libvirt","format":"qcow2","virtual_size":%s}\n' "$DISK_GB" >"$pack/metadata.json"
cp "$HERE/vmlinuz" "$HERE/initrd.img" "$pack/"
cat >"$pack/Vagrantfile" <<'VF'
# Box labcheck/debian12 (vagrant/box/build.sh). No boot loader: boot the kernel directly.
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |libvirt|
    libvirt.disk_bus = "virtio"
    libvirt.kernel = "/var/lib/libvirt/boot/labcheck-debian12-vmlinuz"
    libvirt.initrd = "/var/lib/libvirt/boot/labcheck-debian12-initrd.img"
    libvirt.cmd_line = "root=/dev/vda rw net.ifnames=0 console=ttyS0"
  end
end
VF
log "box tar"
tar -C "$pack" -cf "$BOX.tmp" metadata.json Vagrantfile box.img vmlinuz initrd.img
mv "$BOX.tmp" "$BOX"
rm -rf "$pack"
log "box: $BOX ($(du -h "$BOX" | cut -f1))"

if [[ ${BOX_ADD:-1} == 1 ]]; then
  command -v vagrant >/dev/null || { log "vagrant ausente: pulei o vagrant box add"; exit 0; }
  log "vagrant box add --name $BOX_NAME"
  vagrant box add --name "$BOX_NAME" --force "$BOX" >"$WORK/box-add.log" 2>&1 \
    || { cat "$WORK/box-add.log" >&2; exit 1; }
fi
log "done"

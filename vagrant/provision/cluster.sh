#!/usr/bin/env bash
# Forms the cluster from one node (the Vagrantfile runs it on the last cluster node):
#   pcs host auth + pcs cluster setup lab node1 addr=... node2 addr=... --start --enable --wait
# Idempotent: does nothing to a cluster that already exists.
#
# Fencing: with LAB_SBD_DEVICE (vagrant/lab.yaml, provision/sbd.sh), a fence_sbd device
# on the iSCSI disk that node3 serves and stonith-enabled=true. Without it, the old way:
# stonith-enabled=false, acceptable ONLY in a lab (lesson 7.1 explains why).
set -euo pipefail
: "${LAB_CLUSTER_NAME:?}" "${LAB_CLUSTER_NODES:?}" "${LAB_HACLUSTER_PASSWORD:?}"

names=() setup_args=()
for pair in $LAB_CLUSTER_NODES; do
  names+=("${pair%%=*}")
  setup_args+=("${pair%%=*}" "addr=${pair#*=}")
done
# Under emulation (TCG) a busy VM can leave corosync unscheduled for more than 2.5 s
# ("Corosync main process was not scheduled for 2580 ms", seen on this lab while it ran
# exercise 2), past the default 3 s token: node2 dropped out and rejoined. A longer token
# (vagrant/lab.yaml: corosync_token_qemu), only with LAB_DRIVER=qemu.
if [[ ${LAB_DRIVER:-kvm} == qemu ]]; then
  setup_args+=(totem "token=${LAB_COROSYNC_TOKEN_QEMU:-10000}")
fi

if ! grep -qx "[[:space:]]*cluster_name: $LAB_CLUSTER_NAME" /etc/corosync/corosync.conf 2>/dev/null; then
  # With `vagrant up` in parallel the other nodes may still be booting: wait for pcsd.
  for n in "${names[@]}"; do
    for i in $(seq 1 120); do
      (exec 3<>"/dev/tcp/$n/2224") 2>/dev/null && break
      [[ $i == 120 ]] && { echo "cluster: pcsd de $n não respondeu em 10 min" >&2; exit 1; }
      sleep 5
    done
  done
  for i in 1 2 3 4 5 6; do
    pcs host auth --request-timeout=600 "${names[@]}" -u hacluster -p "$LAB_HACLUSTER_PASSWORD" && break
    [[ $i == 6 ]] && exit 1
    sleep 10
  done
  # Under emulation (TCG) pcsd may take longer than pcs' 60 s to answer the first
  # requests (`pcs cluster setup` has no --request-timeout): try again.
  for i in 1 2 3; do
    pcs cluster setup "$LAB_CLUSTER_NAME" "${setup_args[@]}" --start --enable --wait=600 && break
    [[ $i == 3 ]] && exit 1
    sleep 20
  done
fi

pcs cluster start --all --wait=600 >/dev/null 2>&1 || true
cib_ready() {
  for i in $(seq 1 60); do cibadmin --query --scope crm_config >/dev/null 2>&1 && return 0; sleep 5; done
  return 1
}

if [[ -n ${LAB_SBD_DEVICE:-} ]]; then
  # sbd starts with corosync, but `pcs cluster setup` disables it (it first destroys any
  # cluster on the nodes). Enable it as one does by hand, on every node through pcsd
  # (this also writes /etc/default/sbd), and restart the cluster to start it: no
  # resources yet on a fresh lab. Also fixes a lab whose sbd is off for any reason.
  if pcs stonith sbd status 2>/dev/null | grep -E "^($(IFS='|'; echo "${names[*]}")):" | grep -q 'NO *$'; then
    for i in $(seq 1 10); do  # node1 may still be logging in to the disk (provision/sbd.sh)
      # SBD_DELAY_START=yes: sbd waits msgwait at start, so a fenced node that boots
      # faster than msgwait (a KVM guest does) cannot rejoin while the fence is still
      # being confirmed ("We were allegedly just fenced"); see /etc/default/sbd.
      pcs stonith sbd enable device="$LAB_SBD_DEVICE" watchdog=/dev/watchdog \
        SBD_WATCHDOG_TIMEOUT="${LAB_SBD_WATCHDOG_TIMEOUT:?}" SBD_DELAY_START=yes && break
      [[ $i == 10 ]] && exit 1
      sleep 30
    done
    pcs cluster stop --all && pcs cluster start --all --wait=600
  fi
  cib_ready
  # Created once, with STONITH turned on; a later `vagrant provision` leaves the device and
  # the properties as the student has them.
  if ! pcs stonith config sbd-fence >/dev/null 2>&1; then
    # monitor timeout 60 s, not the default 20: under emulation with a busy host the
    # agent's monitor (python, then sbd list) once took 21 s and showed as a failure.
    pcs stonith create sbd-fence fence_sbd devices="$LAB_SBD_DEVICE" \
      power_timeout="$(( LAB_SBD_MSGWAIT_TIMEOUT + 15 ))" op monitor interval=60s timeout=60s
    pcs property set stonith-timeout="${LAB_SBD_STONITH_TIMEOUT:?}s" stonith-enabled=true
  fi
  pcs stonith sbd status
else
  # stonith-enabled=false only while nobody has set it: a later `vagrant provision` must
  # not switch off fencing that a student configured.
  for i in $(seq 1 60); do
    if cibadmin --query --scope crm_config >/dev/null 2>&1; then
      crm_attribute --type crm_config --name stonith-enabled --query >/dev/null 2>&1 && break
      pcs property set stonith-enabled=false 2>/dev/null && break
    fi
    sleep 5
  done
fi
# Wait until every node is online, so the first `labcheck` sees a whole cluster.
for i in $(seq 1 120); do
  online=$(crm_mon -1 --output-as=xml 2>/dev/null | grep -c 'online="true"' || true)
  [[ $online -ge ${#names[@]} ]] && break
  sleep 5
done
pcs status

#!/usr/bin/env bash
# Regenerates docs/samples/exerciseN-{fail,pass}.txt: real labcheck output on the
# namespace lab "lab" (192.168.213.0/24, the addresses the site uses). It RESETS that
# lab several times: run it on a lab you are not using.
set -euo pipefail
cd "$(dirname "$0")/.."
NSLAB=labs/nslab/nslab
STATE=/var/tmp/labcheck-nslab/lab
# NSLAB_SUBNET: another subnet when the Vagrant lab holds 192.168.213 — then only with
# EXERCISES=1 (the default is "1 2 3"): exercise 1's samples show no address, 2 and 3's do.
$NSLAB up --name lab --subnet "${NSLAB_SUBNET:-192.168.213}" >/dev/null
export LABCHECK_INVENTORY=$STATE/inventory.yaml LABCHECK_KNOWN_HOSTS=$STATE/known_hosts
export LAB_KIND=nslab NSLAB_NAME=lab NO_COLOR=1
# on NODE CMD: a student's command on a node
on() { $NSLAB exec --name lab "$1" -- sh -c "$2" >/dev/null; }
record() { .venv/bin/labcheck "$1" >"docs/samples/$2.txt" || true; echo "docs/samples/$2.txt"; }
want() { [[ " ${EXERCISES:-1 2 3} " == *" $1 "* ]]; }

if want 1; then
$NSLAB reset --name lab >/dev/null
record exercise1 exercise1-fail
labs/solutions/exercise1.sh >/dev/null 2>&1
on node1 "pcs resource create vm1 ocf:heartbeat:VirtualDomain config=/etc/pacemaker/vm1.xml \
  hypervisor=qemu:///system migration_transport=ssh op monitor interval=30s timeout=60s \
  meta allow-migrate=true --disabled"
record exercise1 exercise1-progress
fi

if want 2; then
$NSLAB reset --name lab >/dev/null
record exercise2 exercise2-fail
labs/solutions/exercise2.sh >/dev/null 2>&1
record exercise2 exercise2-pass
fi

if want 3; then
$NSLAB reset --name lab >/dev/null
on node1 "pcs resource create pg-ip ocf:heartbeat:IPaddr2 ip=192.168.213.110 cidr_netmask=24 \
  --group pg && crm_resource --wait --timeout=60s"
record exercise3 exercise3-fail
$NSLAB reset --name lab >/dev/null
labs/solutions/exercise3.sh >/dev/null 2>&1
record exercise3 exercise3-pass
fi
$NSLAB reset --name lab >/dev/null
rm -f docs/samples/exercise1-pass.txt

#!/usr/bin/env bash
# Installs everything labcheck, its lab and its tests need on a fresh Debian 12 machine
# (root, no systemd): Debian packages, then a virtualenv in .venv with the project.
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # the namespace lab: a real two-node cluster plus a remote node
  pacemaker pacemaker-cli-utils pcs corosync resource-agents openssh-server openssh-client
  iproute2 util-linux procps psmisc
  # the grader's ansible_become path is tested with a real sudo
  sudo
  # exercise 3 on the namespace lab: a real PostgreSQL under ocf:heartbeat:pgsql; PAF's
  # pgsqlms agent so the site's promotable-clone command is checked by real pcs
  postgresql postgresql-client resource-agents-paf
  # lesson 7.3.2's MariaDB section on the namespace lab: a real MariaDB under
  # ocf:heartbeat:mysql (tests/cluster/test_mariadb.py)
  mariadb-server mariadb-client
  # the course site's browser tests, and ocf-tester's meta-data validation (xmllint)
  chromium libxml2-utils
  # exercise 5 on the namespace lab: Apache under ocf:heartbeat:apache (its monitor uses
  # curl) and HAProxy under ocf:heartbeat:anything
  apache2 haproxy curl
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "==> apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Packages such as apache2 start their service on install; here only the lab's nodes
  # run them (under the cluster), so the host's init is told not to (policy-rc.d, 101).
  policy_added=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  if ((policy_added)); then rm -f /usr/sbin/policy-rc.d; fi
fi

PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.labcheck-installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  echo "==> pip install -e .[dev,docs]"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev,docs]"
  touch "$stamp"
fi

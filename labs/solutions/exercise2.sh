#!/usr/bin/env bash
# Solução de referência do Exercício 2 — Pacemaker Remote.
# Uso: LAB_KIND=vagrant|nslab labs/solutions/exercise2.sh
# As seções entre marcas --8<-- aparecem no site (docs/exercicios/exercicio-2.md).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [[ $LAB_KIND == vagrant ]]; then
  on node3 <<'SH'
# --8<-- [start:install]
# No node3. Debian 12 (em RHEL/AlmaLinux: dnf install -y pacemaker-remote resource-agents pcs)
apt-get install -y pacemaker-remote resource-agents pcs
# O pacote já inicia o pacemaker_remote; o add-remote recusa um nó com ele rodando
# ("The host seems to be in a cluster already") e o inicia de novo ele mesmo.
systemctl stop pacemaker_remote
systemctl enable --now pcsd
echo 'hacluster:labcheck' | chpasswd
# --8<-- [end:install]
SH
  on node1 <<'SH'
# --8<-- [start:add-remote]
# Em um nó do cluster: autentique-se no pcsd do node3 e adicione o nó remoto.
# O pcs copia /etc/pacemaker/authkey e habilita e inicia o pacemaker_remote no node3.
pcs host auth node3 addr="$LAB_SUBNET.13" -u hacluster -p labcheck
pcs cluster node add-remote node3 "$LAB_SUBNET.13" reconnect_interval=60s
# --8<-- [end:add-remote]
SH
else
  # The namespace lab has neither systemd nor pcsd: copy the key, start the daemon
  # by hand and create the connection resource directly (pcs wants --force for that).
  key=$(on node1 <<<'base64 -w0 /etc/pacemaker/authkey')
  on node3 <<SH
mkdir -p /etc/pacemaker
echo '$key' | base64 -d > /etc/pacemaker/authkey
chown hacluster:haclient /etc/pacemaker/authkey
chmod 640 /etc/pacemaker/authkey
SH
  "$NSLAB" remote-start --name "$NSLAB_NAME"
  on node1 <<'SH'
# --8<-- [start:nslab-remote]
pcs resource create node3 ocf:pacemaker:remote server="$LAB_SUBNET.13" reconnect_interval=60s --force
# --8<-- [end:nslab-remote]
SH
fi

on node1 <<'SH'
# --8<-- [start:resource]
# Um IP virtual que só roda no node3 porque uma restrição o coloca lá.
pcs resource create ip-remoto ocf:heartbeat:IPaddr2 ip="$LAB_SUBNET.100" cidr_netmask=24 \
    op monitor interval=10s
pcs constraint location ip-remoto prefers node3
# --8<-- [end:resource]
crm_resource --wait --timeout=120s
SH

#!/usr/bin/env bash
# Solução de referência do Exercício 1 — VM com ocf:heartbeat:VirtualDomain.
# Uso: LAB_KIND=vagrant|nslab labs/solutions/exercise1.sh
# The SSH part runs on both labs; the VM part needs libvirt guests (Vagrant lab only). On
# the namespace lab it also creates the fence device and crashes node2 (step 7).
# As seções entre marcas --8<-- aparecem no site (docs/exercicios/exercicio-1.md).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# 1. SSH sem senha entre os hospedeiros libvirt, nos dois sentidos.
for node in node1 node2; do
  on "$node" <<'SH'
# --8<-- [start:keygen]
# Em cada hospedeiro (node1 e node2): um par de chaves sem senha para o root.
test -f /root/.ssh/id_ed25519 || ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519
# --8<-- [end:keygen]
SH
done
# What ssh-copy-id does, done through the lab so no root password is needed.
for pair in "node1 node2" "node2 node1"; do
  read -r from to <<<"$pair"
  pub=$(on "$from" <<<'cat /root/.ssh/id_ed25519.pub')
  on "$to" <<SH
grep -qxF '$pub' /root/.ssh/authorized_keys 2>/dev/null || echo '$pub' >> /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
SH
  on "$from" <<SH
# --8<-- [start:known-hosts]
# Registre a chave de host do outro nó (senão o modo BatchMode recusa a conexão).
ssh-keygen -F $to >/dev/null 2>&1 || ssh-keyscan -t ed25519 $to >> /root/.ssh/known_hosts 2>/dev/null
ssh -o BatchMode=yes $to true
# --8<-- [end:known-hosts]
SH
done

# 2. Fencing. The Vagrant lab comes with it (fence_sbd, vagrant/provision/cluster.sh): the
# student only looks (lesson 7.1). The namespace lab has the agent but no device.
if [[ $LAB_KIND == nslab ]]; then
  on node1 <<'SH'
if ! pcs stonith config fence-lab >/dev/null 2>&1; then
# --8<-- [start:fence-nslab]
pcs stonith create fence-lab fence_nslab pcmk_host_list="node1 node2"
pcs property set stonith-enabled=true
# --8<-- [end:fence-nslab]
fi
SH
  # Step 7 where the namespace lab can show it: node2 crashes and the cluster fences it
  # (fence_nslab powers the node off and on again). On the Vagrant lab the crash is the
  # page's `virsh destroy`, which make e2e runs (labs/vagrant-e2e.sh).
  "$NSLAB" crash-node --name "$NSLAB_NAME" node2
  on node1 <<'SH'
for i in $(seq 1 60); do
  pcs stonith history show node2 | grep -q 'reboot of node2 successful' &&
    crm_mon -1 | grep -q 'Online: \[ node1 node2 \]' && break
  [ "$i" = 60 ] && { echo "node2 não foi cercado ou não voltou" >&2; exit 1; }
  sleep 2
done
pcs stonith history show node2
SH
  exit 0
fi

# 3. The VM: its XML on both hosts, the cluster resource, then a move.
on node1 <<'SH'
# --8<-- [start:vm-xml]
# O laboratório deixa o XML da VM de teste em /srv/lab/vm1.xml e o disco num NFS comum.
cp /srv/lab/vm1.xml /etc/pacemaker/vm1.xml
scp /etc/pacemaker/vm1.xml node2:/etc/pacemaker/vm1.xml
# --8<-- [end:vm-xml]
# --8<-- [start:vm-resource]
pcs resource create vm1 ocf:heartbeat:VirtualDomain config=/etc/pacemaker/vm1.xml \
    hypervisor="qemu:///system" migration_transport=ssh \
    op monitor interval=30s timeout=60s meta allow-migrate=true
# --8<-- [end:vm-resource]
crm_resource --wait --timeout=300s
# --8<-- [start:vm-move]
# Aderência (lição 7.1): sem ela o pcs 0.11 recusa o move, porque com o sbd-fence num nó
# o Pacemaker equilibraria os nós devolvendo a VM ao outro.
pcs resource defaults update resource-stickiness=100
current=$(crm_resource --locate -r vm1 | sed -n 's/.*running on: //p')
target=$([ "$current" = node1 ] && echo node2 || echo node1)
pcs resource move vm1 "$target"
# --8<-- [end:vm-move]
crm_resource --wait --timeout=300s
SH

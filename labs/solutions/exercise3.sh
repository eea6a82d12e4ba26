#!/usr/bin/env bash
# Solução de referência do Exercício 3 — PostgreSQL com IP virtual em grupo.
# Uso: LAB_KIND=vagrant|nslab labs/solutions/exercise3.sh
# As seções entre marcas --8<-- aparecem no site (docs/exercicios/exercicio-3.md).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [[ $LAB_KIND == vagrant ]]; then
  for node in node1 node2; do
    on "$node" <<'SH'
# --8<-- [start:install]
# Nos dois nós do cluster (Debian 12). Em RHEL/AlmaLinux: dnf install -y postgresql-server
# && postgresql-setup --initdb, e o recurso abaixo usa systemd:postgresql.
apt-get install -y postgresql
# Quem inicia e para o banco agora é o cluster, não o systemd: pare e desabilite o
# guarda-chuva e a instância...
systemctl disable --now postgresql postgresql@15-main
# ...e marque a instância como manual, para o systemd não a subir no boot
# (o gerador do Debian só liga ao postgresql.service as instâncias com auto):
echo manual > /etc/postgresql/15/main/start.conf
# Escutar em todos os endereços, inclusive no IP virtual quando ele chegar:
sed -i "s/^#\?listen_addresses.*/listen_addresses = '*'/" /etc/postgresql/15/main/postgresql.conf
# --8<-- [end:install]
SH
  done
  on node1 <<'SH'
# --8<-- [start:group]
# IP virtual primeiro, banco depois: o grupo inicia na ordem e sempre no mesmo nó.
pcs resource create pg-ip ocf:heartbeat:IPaddr2 ip="$LAB_SUBNET.110" cidr_netmask=24 \
    op monitor interval=10s --group pg
pcs resource create pg-db systemd:postgresql@15-main op monitor interval=15s --group pg
# --8<-- [end:group]
crm_resource --wait --timeout=180s
SH
else
  # The namespace lab has no systemd: ocf:heartbeat:pgsql runs PostgreSQL itself. Both
  # nodes see the same data directory on the host's disk, which plays the shared storage.
  on node1 <<SH
PGDATA=/var/lib/postgresql/labcheck-$NSLAB_NAME
test -f "\$PGDATA/PG_VERSION" || su postgres -c "/usr/lib/postgresql/15/bin/initdb -D \$PGDATA -A trust" >/dev/null
grep -q '^listen_addresses' "\$PGDATA/postgresql.conf" || echo "listen_addresses = '*'" >> "\$PGDATA/postgresql.conf"
SH
  on node1 <<SH
# --8<-- [start:nslab-group]
pcs resource create pg-ip ocf:heartbeat:IPaddr2 ip="\$LAB_SUBNET.110" cidr_netmask=24 \\
    op monitor interval=10s --group pg
pcs resource create pg-db ocf:heartbeat:pgsql pgctl=/usr/lib/postgresql/15/bin/pg_ctl \\
    psql=/usr/lib/postgresql/15/bin/psql pgdata=/var/lib/postgresql/labcheck-$NSLAB_NAME \\
    socketdir=/run/postgresql op monitor interval=15s --group pg
# --8<-- [end:nslab-group]
crm_resource --wait --timeout=180s
SH
fi

on node1 <<'SH'
# --8<-- [start:verify]
pcs status resources
pg_isready -h "$LAB_SUBNET.110"
# --8<-- [end:verify]
SH

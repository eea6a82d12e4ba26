#!/usr/bin/env bash
# Solução de referência do Exercício 5 — Entrada web em alta disponibilidade.
# Uso: LAB_KIND=vagrant|nslab labs/solutions/exercise5.sh
# As seções entre marcas --8<-- aparecem no site (docs/exercicios/exercicio-5.md).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

for node in node1 node2; do
  if [[ $LAB_KIND == vagrant ]]; then
    on "$node" <<'SH'
# --8<-- [start:install]
# Nos dois nós do cluster, do repositório local /srv/lab/debs:
apt-get install -y apache2 haproxy
# O apt já os iniciou e habilitou no boot: quem os inicia agora é o cluster.
systemctl disable --now apache2 haproxy
# --8<-- [end:install]
SH
  fi
  on "$node" <<'SH'
# --8<-- [start:apache]
# O Apache escuta na 8000: a porta 80 do IP virtual é do HAProxy.
sed -i 's/^Listen 80$/Listen 8000/' /etc/apache2/ports.conf
sed -i 's/<VirtualHost \*:80>/<VirtualHost *:8000>/' /etc/apache2/sites-enabled/000-default.conf
# Uma página que diz qual nó respondeu:
echo "<h1>Site do curso servido por $(hostname)</h1>" > /var/www/html/index.html
# --8<-- [end:apache]
# --8<-- [start:haproxy]
# O mesmo arquivo nos dois nós (o pcs não copia arquivos de aplicação).
cat > /etc/haproxy/haproxy.cfg <<EOF
global
    log /dev/log local0
    maxconn 1024

defaults
    mode http
    log global
    option httplog
    # Um back end que caiu e o health check ainda não viu: tenta o outro.
    retries 2
    option redispatch
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend site
    bind $LAB_SUBNET.120:80
    default_backend apaches

backend apaches
    balance roundrobin
    option httpchk GET /
    server node1 $LAB_SUBNET.11:8000 check
    server node2 $LAB_SUBNET.12:8000 check

listen estatisticas
    bind 127.0.0.1:8404
    stats enable
    stats uri /stats
EOF
haproxy -c -f /etc/haproxy/haproxy.cfg
# --8<-- [end:haproxy]
SH
done

on node1 <<'SH'
# --8<-- [start:web]
pcs resource create web ocf:heartbeat:apache configfile=/etc/apache2/apache2.conf \
    statusurl="http://127.0.0.1:8000/server-status" \
    op monitor interval=20s timeout=20s clone
# Só nos nós do cluster: um nó remoto (o node3 do exercício 2) não tem este Apache.
pcs constraint location web-clone rule resource-discovery=never \
    score=-INFINITY '#kind' ne cluster
# --8<-- [end:web]
SH

if [[ $LAB_KIND == vagrant ]]; then
  on node1 <<'SH'
# --8<-- [start:lb]
# O IP primeiro: o HAProxy faz bind nele ao iniciar.
pcs resource create lb_vip ocf:heartbeat:IPaddr2 ip="$LAB_SUBNET.120" cidr_netmask=24 \
    op monitor interval=10s --group lb
pcs resource create haproxy systemd:haproxy op monitor interval=10s --group lb
# Só nos nós do cluster, como o Apache:
pcs constraint location lb rule resource-discovery=never score=-INFINITY '#kind' ne cluster
# --8<-- [end:lb]
crm_resource --wait --timeout=300s
SH
else
  on node1 <<'SH'
# --8<-- [start:nslab-lb]
# Sem systemd: o agente anything roda o haproxy em primeiro plano (-db) e o vigia.
pcs resource create lb_vip ocf:heartbeat:IPaddr2 ip="$LAB_SUBNET.120" cidr_netmask=24 \
    op monitor interval=10s --group lb
pcs resource create haproxy ocf:heartbeat:anything binfile=/usr/sbin/haproxy \
    cmdline_options="-db -f /etc/haproxy/haproxy.cfg" op monitor interval=10s --group lb
# Só nos nós do cluster, como o Apache:
pcs constraint location lb rule resource-discovery=never score=-INFINITY '#kind' ne cluster
# --8<-- [end:nslab-lb]
crm_resource --wait --timeout=300s
SH
fi

on node1 <<'SH'
# --8<-- [start:verify]
curl -s "http://$LAB_SUBNET.120/"
curl -s "http://$LAB_SUBNET.120/"
# --8<-- [end:verify]
SH

on node1 <<'SH'
# --8<-- [start:move]
# O grupo sai do nó onde está e volta a ficar livre para ele:
onde=$(crm_resource --locate --resource lb | sed -n 's/.*running on: //p')
pcs node standby "$onde"
crm_resource --wait --timeout=300s
curl -s "http://$LAB_SUBNET.120/"
pcs node unstandby "$onde"
crm_resource --wait --timeout=300s
# --8<-- [end:move]
# HAProxy's check sees the Apache that came back after two good checks (rise 2, 2 s apart).
sleep 6
SH

#!/usr/bin/env bash
# Solução de referência do Exercício 4 — Um agente OCF seu.
# Uso: LAB_KIND=vagrant|nslab labs/solutions/exercise4.sh
# As seções entre marcas --8<-- aparecem no site (docs/exercicios/exercicio-4.md).
# Igual nos dois laboratórios: o agente do curso está em /srv/lab/agents em cada nó.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# node3 too: a remote node (exercise 2) runs agents itself, and the cluster probes it.
for node in node1 node2 node3; do
  on "$node" <<'SH'
# --8<-- [start:install]
# Em CADA nó que pode rodar o recurso, inclusive o nó remoto node3: o Pacemaker
# procura o agente no nó onde vai rodar (ou sondar) o recurso.
install -D -m 0755 /srv/lab/agents/labapp /usr/lib/ocf/resource.d/labcheck/labapp
sha256sum /usr/lib/ocf/resource.d/labcheck/labapp
# --8<-- [end:install]
SH
done

on node1 <<'SH'
# --8<-- [start:test]
# Todas as ações, fora do cluster, numa porta que o recurso não vai usar:
ocf-tester -n teste -o port=8081 /usr/lib/ocf/resource.d/labcheck/labapp
# --8<-- [end:test]
# --8<-- [start:resource]
pcs resource create app ocf:labcheck:labapp port=8080 \
    op monitor interval=10s timeout=20s
# Desafio: na 2ª falha num nó o recurso sai dele; depois de 1 h as falhas são esquecidas.
pcs resource meta app migration-threshold=2 failure-timeout=1h
# --8<-- [end:resource]
crm_resource --wait --timeout=120s
SH

# The fault, on the node that runs the application.
where=$(on node1 <<<'crm_resource --locate --resource app' | tr -d '\r' | sed -n 's/.* running on: *//p')
on "${where:?o recurso app não está rodando}" <<'SH'
# --8<-- [start:break]
pkill -f "http.server 8080"
# --8<-- [end:break]
SH

on node1 <<'SH'
# Wait for the monitor to see it and the cluster to start it again.
for i in $(seq 1 60); do
  crm_mon -1 --output-as=xml | grep -q '<failure ' && break
  sleep 2
done
crm_resource --wait --timeout=120s
# --8<-- [start:verify]
pcs resource failcount show app
crm_mon -1 --failcounts
# --8<-- [end:verify]
SH

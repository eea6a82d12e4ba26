#!/usr/bin/env bash
# The README's "main job": on a fresh Debian 12 machine (root), install everything,
# bring up the embedded namespace lab and show labcheck grading it — first a fresh
# lab (steps fail, with hints), then the same lab after the reference solution.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

LAB=${NSLAB_NAME:-lab}
STATE=${LABCHECK_NSLAB_DIR:-/var/tmp/labcheck-nslab}/$LAB
labs/nslab/nslab up --name "$LAB"
labs/nslab/nslab reset --name "$LAB" >/dev/null   # the exercises' starting state
export LABCHECK_INVENTORY=$STATE/inventory.yaml LABCHECK_KNOWN_HOSTS=$STATE/known_hosts

banner() { printf '\n\033[1m==> %s\033[0m\n\n' "$*"; }

banner "labcheck exercise2 num laboratório recém-criado (os passos devem falhar)"
.venv/bin/labcheck exercise2 || echo "(código de saída $?)"

banner "Aplicando a solução de referência: labs/solutions/exercise2.sh"
LAB_KIND=nslab NSLAB_NAME=$LAB labs/solutions/exercise2.sh

banner "labcheck exercise2 de novo"
.venv/bin/labcheck exercise2

cat <<EOT

O laboratório continua no ar. Para usá-lo:
  export LABCHECK_INVENTORY=$LABCHECK_INVENTORY
  export LABCHECK_KNOWN_HOSTS=$LABCHECK_KNOWN_HOSTS
  .venv/bin/labcheck exercise1            # ou exercise3
  labs/nslab/nslab exec node1 -- pcs status
Para desligá-lo: labs/nslab/nslab down
EOT

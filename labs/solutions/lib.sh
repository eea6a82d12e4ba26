# Shared by the reference solutions: run a script "on" a lab node, as the student would
# in a root shell there. LAB_KIND picks how: the Vagrant lab (vagrant ssh + sudo) or the
# namespace lab (labs/nslab/nslab exec). Sourced, not run.
# shellcheck shell=bash

SOLUTIONS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SOLUTIONS_DIR/../.." && pwd)"
LAB_KIND="${LAB_KIND:-vagrant}"      # vagrant | nslab
NSLAB_NAME="${NSLAB_NAME:-lab}"
NSLAB="$REPO_DIR/labs/nslab/nslab"

case "$LAB_KIND" in
  nslab)
    LAB_SUBNET="${LAB_SUBNET:-$(sed -n 's/.*node1: {ansible_host: \([0-9.]*\)\.11}.*/\1/p' \
      "${LABCHECK_NSLAB_DIR:-/var/tmp/labcheck-nslab}/$NSLAB_NAME/inventory.yaml")}"
    ;;
  vagrant) LAB_SUBNET="${LAB_SUBNET:-192.168.213}" ;;  # same addresses as the site shows
  *) echo "LAB_KIND deve ser vagrant ou nslab (recebi: $LAB_KIND)" >&2; exit 2 ;;
esac
export LAB_SUBNET

# on NODE  < script   — runs the script with bash as root on NODE.
on() {
  local node=$1
  echo "==> [$node]" >&2
  case "$LAB_KIND" in
    nslab) "$NSLAB" exec --name "$NSLAB_NAME" "$node" -- env LAB_SUBNET="$LAB_SUBNET" bash -euo pipefail -s ;;
    vagrant) (cd "$REPO_DIR/vagrant" && vagrant ssh "$node" -c "sudo env LAB_SUBNET=$LAB_SUBNET bash -euo pipefail -s") ;;
  esac
}

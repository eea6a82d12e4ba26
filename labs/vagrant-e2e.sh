#!/usr/bin/env bash
# End-to-end proof of the Vagrant lab: build the box, `vagrant up`, save a snapshot; per
# exercise `labcheck start` (saves its starting configuration), grade (must FAIL), apply the
# reference solution, grade (must PASS); then `labcheck reset` each exercise, last first
# (each must FAIL again), and `labcheck reset --snapshot` (the fresh lab again). Prints how
# long each stage took. Run as root from anywhere:
#
#   labs/vagrant-e2e.sh                 # LAB_DRIVER=qemu by default here (no nested KVM)
#   KEEP=1 labs/vagrant-e2e.sh          # leave the lab running at the end
#   SKIP_BUILD=1 labs/vagrant-e2e.sh    # reuse vagrant/box/labcheck-debian12.box if present
#   EXERCISES="4 5" labs/vagrant-e2e.sh # only some exercises (default: 1 to 5)
#   REUSE_LAB=1 KEEP=1 labs/vagrant-e2e.sh  # grade + solve on the lab already up
#   REBUILD=1 labs/vagrant-e2e.sh       # also `labcheck reset --rebuild` at the end
#   NOTEBOOKS="2" labs/vagrant-e2e.sh   # which notebooks to run top to bottom (default: the
#                                       # exercises; NOTEBOOKS= runs none)
#   PAGES="docs/licoes/7.3-integracoes/bancos-de-dados.md" labs/vagrant-e2e.sh
#                                       # pages whose <!-- vagrant: NODES --> blocks run as
#                                       # written (default: every page that has them; PAGES=
#                                       # runs none)
#
# What ran as the site shows it — those blocks, the solution scripts, the notebooks and the
# page commands the stages type (labcheck exercise1, vagrant up node2, ...) — is written to
# labs/e2e-record.json, which tests/site/test_commands.py reads: commit it.
#
# With exercise 1, steps 7 and 8 of its page run as the page writes them (power node2 off,
# the cluster fences it through SBD, vm1 starts on node1, node2 back; migrate vm1 back),
# graded after each. Before step 7 only the fencing step may fail.
#
# Without systemd on the host, virtlogd and libvirtd are started here (as daemons).
# Logs go to $LOG_DIR (default /var/tmp/labcheck-vagrant-e2e).
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAGRANT_DIR="$REPO/vagrant"
LOG_DIR="${LOG_DIR:-/var/tmp/labcheck-vagrant-e2e}"
LABCHECK="${LABCHECK:-$REPO/.venv/bin/labcheck}"
EXERCISES="${EXERCISES-1 2 3 4 5}"   # EXERCISES= runs none
export LAB_DRIVER="${LAB_DRIVER:-qemu}"
export LAB_KIND=vagrant
unset LABCHECK_INVENTORY   # labcheck must find the nodes through `vagrant ssh-config`
mkdir -p "$LOG_DIR"

PY="$REPO/.venv/bin/python"
# record_cmd TEXT — TEXT, exactly as a page shows it, ran on the Vagrant lab (labs/e2e-record.json)
record_cmd() { (cd "$REPO" && "$PY" -m tests.site.pagecommands ran-command "$1" --what "make e2e"); }
# record_file PATH — a script or notebook of the repository ran to the end on the Vagrant lab
record_file() { (cd "$REPO" && "$PY" -m tests.site.pagecommands ran-file "$1" --what "make e2e"); }

declare -a T_NAME T_SECS T_RESULT
failures=0
stage() {  # stage NAME EXPECT(0|fail|any) CMD... — runs CMD, logs it, records time and verdict
  local name=$1 expect=$2; shift 2
  local log="$LOG_DIR/$(echo "$name" | tr ' /' '__').log" start rc verdict
  printf '==> %-34s ' "$name"
  start=$(date +%s)
  "$@" >"$log" 2>&1; rc=$?
  local secs=$(( $(date +%s) - start ))
  case "$expect:$rc" in
    0:0|any:*) verdict=ok ;;
    fail:1) verdict=ok ;;                      # labcheck: a step failed, as expected
    *) verdict="FALHOU (rc=$rc)"; failures=$((failures + 1)) ;;
  esac
  T_NAME+=("$name"); T_SECS+=("$secs"); T_RESULT+=("$([[ $verdict == ok ]] && echo "ok (rc=$rc)" || echo "$verdict")")
  printf '%4ss  %s\n' "$secs" "$verdict"
  [[ $verdict == ok ]] || diagnose "$log"
  [[ $verdict == ok ]] || tr '\r' '\n' <"$log" | grep -av '^Progress\|Progress: [0-9]' | tail -25 | sed 's/^/    | /'
  return $rc
}
diagnose() {  # diagnose LOG — what the cluster looked like when a stage failed, beside LOG
  (cd "$VAGRANT_DIR" && timeout 120 vagrant ssh-config node1 >"$LOG_DIR/ssh-config.node1" 2>/dev/null) ||
    return 0   # no lab up (yet)
  timeout 120 ssh -F "$LOG_DIR/ssh-config.node1" -o LogLevel=ERROR -o ConnectTimeout=20 node1 \
    sudo sh -c "'crm_mon -1 -r -f -t; pcs stonith history; cibadmin -Q'" >"${1%.log}.cluster.txt" 2>&1
}
table() {
  echo
  printf '%-36s %8s  %s\n' "etapa" "tempo" "resultado"
  local i total=0
  for i in "${!T_NAME[@]}"; do
    printf '%-36s %6ss  %s\n' "${T_NAME[$i]}" "${T_SECS[$i]}" "${T_RESULT[$i]}"
    total=$((total + T_SECS[i]))
  done
  printf '%-36s %6ss\n' "total" "$total"
  echo "logs: $LOG_DIR"
}

# What the host needs, from Debian's packages (a fresh machine has none of it).
HOST_PACKAGES=(vagrant vagrant-libvirt libvirt-daemon-system libvirt-clients qemu-system-x86
               qemu-utils debootstrap e2fsprogs dpkg-dev openssh-client)
install_host() {
  local pkg missing=()
  for pkg in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  echo "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}
start_libvirt() {
  pgrep -x virtlogd >/dev/null || virtlogd -d
  pgrep -x libvirtd >/dev/null || libvirtd -d
  for _ in $(seq 1 20); do virsh -c qemu:///system version >/dev/null 2>&1 && return 0; sleep 0.5; done
  return 1
}
build_box() {
  if [[ ${SKIP_BUILD:-0} == 1 && -f $VAGRANT_DIR/box/labcheck-debian12.box ]]; then
    vagrant box list | grep -q '^labcheck/debian12 ' || vagrant box add --name labcheck/debian12 --force "$VAGRANT_DIR/box/labcheck-debian12.box"
    return
  fi
  "$VAGRANT_DIR/box/build.sh" && record_cmd "sudo vagrant/box/build.sh"   # we are root already
}
vagrant_up() {
  # The Vagrant lab and the namespace lab's default "lab" both use 192.168.213.0/24 (see
  # vagrant/lab.yaml): libvirt refuses a network whose subnet a bridge already holds.
  local subnet holder
  subnet=$(sed -n 's/^subnet: *//p' "$VAGRANT_DIR/lab.yaml")
  holder=$(ip -o -4 addr show | awk -v s="$subnet." 'index($4, s) == 1 && $2 !~ /^virbr|^labcheck/ {print $2; exit}')
  if [[ -n $holder ]]; then
    echo "a rede $subnet.0/24 já está em uso pela interface $holder (o laboratório em namespaces? labs/nslab/nslab down)"
    return 1
  fi
  (cd "$VAGRANT_DIR" && vagrant up) && record_cmd "cd vagrant && vagrant up"
}
vagrant_destroy() { (cd "$VAGRANT_DIR" && vagrant destroy -f); }
grade() {  # rc 1 (steps failed) is the grader working as the page says, too
  local rc
  (cd / && "$LABCHECK" "exercise$1"); rc=$?
  ((rc <= 1)) && record_cmd "labcheck exercise$1"
  return $rc
}
grade_until_crash() {  # exercise 1 before step 7: only the step done on the host may fail
  # (the steps marked host_action in labs/exercise1.yaml, as labs/notebooks/run.py reads them)
  (cd / && "$LABCHECK" exercise1 --format json) >"$LOG_DIR/exercise1-until-crash.json"
  (($? <= 1)) || return 2
  "$PY" - "$LOG_DIR/exercise1-until-crash.json" <<'PY'
import json, sys
checks = json.load(open(sys.argv[1]))["checks"]
for c in checks:
    print(f"{c['status']:5} {c['title']}: {c['message']}")
failed = [c for c in checks if c["status"] in {"fail", "error"} and c["required"]]
if not failed or not all(c.get("host_action") for c in failed):
    print("só o passo feito no hospedeiro (a queda, passo 7) deveria falhar")
    sys.exit(2)
sys.exit(1)  # what a grade with a failed step exits with
PY
}
solve() { "$REPO/labs/solutions/exercise$1.sh" && record_file "labs/solutions/exercise$1.sh"; }
start_exercise() { (cd / && "$LABCHECK" start "exercise$1") && record_cmd "labcheck start exercise$1"; }
# As a student types it: labcheck asks before it deletes, and gets a yes.
reset_exercise() { (cd / && echo s | "$LABCHECK" reset "exercise$1") && record_cmd "labcheck reset exercise$1"; }
snapshot_save() (
  cd "$VAGRANT_DIR" || exit 1
  if vagrant snapshot list 2>/dev/null | grep -qx base; then vagrant snapshot delete base || exit 1; fi
  vagrant snapshot save base && record_cmd "vagrant snapshot save base"
)
snapshot_restore() { (cd "$VAGRANT_DIR" && vagrant snapshot restore base) && record_cmd "vagrant snapshot restore base"; }
has_snapshot() { (cd "$VAGRANT_DIR" && vagrant snapshot list 2>/dev/null | grep -qx base); }
snapshot_reset() { (cd / && "$LABCHECK" reset --snapshot base --yes); }
on_node1() {  # on_node1 CMD — CMD as root on node1 (ssh config from `vagrant ssh-config`)
  (cd "$VAGRANT_DIR" && vagrant ssh-config node1 >"$LOG_DIR/ssh-config.node1") &&
    ssh -F "$LOG_DIR/ssh-config.node1" -o LogLevel=ERROR node1 sudo sh -c "$(printf '%q' "$1")"
}
wait_on_node1() {  # wait_on_node1 SECONDS WHAT CMD — polls CMD on node1 until it succeeds
  local deadline=$(( $(date +%s) + $1 ))
  until on_node1 "$3" >/dev/null 2>&1; do
    (( $(date +%s) < deadline )) || { echo "desisti de esperar: $2"; return 1; }
    sleep 10
  done
  echo "$(date +%T) $2"
}
failover_exercise1() {  # exercise 1, step 7, with the page's own commands
  local crashed
  # The page crashes node2, "where the VM is if you followed the example". The solution
  # moves vm1 to whichever node it was not on (with sbd-fence on node1, vm1 may start on
  # node2 and go to node1): bring it to node2 first, live, as step 6's example does.
  if ! on_node1 "crm_resource --locate -r vm1" | grep -q 'running on: node2'; then
    on_node1 "pcs resource move vm1 node2 && crm_resource --wait --timeout=600" || return 1
  fi
  virsh -c qemu:///system destroy vagrant_node2 || return 1
  record_cmd "virsh -c qemu:///system destroy vagrant_node2"
  crashed=$(date +%s)
  echo "$(date +%T) node2 derrubado (virsh destroy)"
  # With SBD the node is UNCLEAN until fence_sbd's msgwait (30 s) has passed, then OFFLINE.
  wait_on_node1 300 "node2 OFFLINE" "crm_mon -1 | grep -q 'OFFLINE: \\[ node2 \\]'" || return 1
  # (not `tee /dev/stderr`: reopening the stage's log truncated it)
  local history
  history=$(on_node1 "pcs stonith history show node2"); echo "$history"
  grep -q 'reboot of node2 successful' <<<"$history" ||
    { echo "o fencing de node2 não aparece no histórico"; return 1; }
  record_cmd "pcs stonith history show node2"
  # the start on node1 may fail on the dead host's NFS lock (lease: up to 90 s; with SBD the
  # start comes about a minute after the crash); the page says to wait about two minutes
  # from the crash, clean up, and repeat if it fails again
  local remaining=$(( crashed + 120 - $(date +%s) ))
  (( remaining > 0 )) && sleep "$remaining"
  on_node1 "crm_mon -1 -r; grep -h 'write\" lock' /var/log/libvirt/qemu/vm1.log | tail -1"
  local attempt
  for attempt in 1 2 3; do
    on_node1 "pcs resource cleanup vm1" || return 1
    record_cmd "pcs resource cleanup vm1"
    wait_on_node1 240 "vm1 iniciada em node1 (cleanup $attempt)" \
      "crm_mon -1 | grep -Eq 'vm1.*Started node1'" && break
    [[ $attempt == 3 ]] && return 1
    sleep 30
  done
  # as the page (in vagrant/) and notebook 1 (from labs/notebooks) write it
  (cd "$REPO/labs/notebooks" && cd ../../vagrant && vagrant up node2) || return 1
  record_cmd "vagrant up node2"
  record_cmd "cd ../../vagrant && vagrant up node2"
  wait_on_node1 900 "node2 online de novo" "crm_mon -1 | grep -q 'Online: \\[ node1 node2 \\]'" || return 1
  on_node1 "crm_resource --wait --timeout=600; crm_mon -1 -r"
  on_node1 "crm_resource --locate -r vm1" | grep -q 'node1' || { echo "vm1 não ficou em node1"; return 1; }
}
failback_exercise1() {  # step 8, then lesson 7.1's clean-up (nothing to clear on pcs 0.11)
  local command
  for command in "pcs resource move vm1 node2" "pcs constraint --full" "pcs resource clear vm1"; do
    on_node1 "$command" || return 1
    record_cmd "$command"
  done
  on_node1 "crm_mon -1 -r"
}
run_notebook() {  # run_notebook N — the exercise's notebook, top to bottom, on the fresh lab
  (cd / && "$PY" "$REPO/labs/notebooks/run.py" "exercicio$1.ipynb" --out "$LOG_DIR/notebooks") &&
    record_file "labs/notebooks/exercicio$1.ipynb"
}
run_page() {  # run_page PAGE — the page's <!-- vagrant: NODES --> blocks, in order, as written
  local node
  for node in node1 node2 node3; do
    (cd "$VAGRANT_DIR" && vagrant ssh-config "$node" >"$LOG_DIR/ssh-config.$node") || return 1
  done
  (cd "$REPO" && "$PY" -m tests.site.pagecommands vagrant "$1" --ssh-config-dir "$LOG_DIR")
}
sample() {  # sample STAGE NAME — the stage's labcheck output becomes docs/samples/NAME.txt
  [[ ${T_RESULT[-1]} == ok* ]] || return 0   # only a grade that came out as expected
  cp "$LOG_DIR/$(echo "$1" | tr ' /' '__').log" "$REPO/docs/samples/$2.txt"
}
rebuild_lab() { (cd / && "$LABCHECK" reset --rebuild --yes); }
lab_status() (  # the page's `vagrant status` and `vagrant ssh node1`, with a command typed in
  cd "$VAGRANT_DIR" || exit 1
  vagrant status && record_cmd "vagrant status"
  echo 'sudo pcs status' | vagrant ssh node1 && record_cmd "vagrant ssh node1"
)

trap 'table' EXIT
[[ $(id -u) == 0 ]] || { echo "rode como root" >&2; exit 2; }
[[ -x $LABCHECK ]] || { echo "labcheck não encontrado em $LABCHECK (make test instala o .venv)" >&2; exit 2; }

stage "pacotes do hospedeiro" 0 install_host || exit 1
stage "libvirtd" 0 start_libvirt || exit 1
if [[ ${REUSE_LAB:-0} == 1 ]]; then
  echo "REUSE_LAB=1: sem build nem vagrant up; uso o laboratório que já está no ar"
else
  stage "box (build.sh)" 0 build_box || exit 1
  # Any machine of an older lab, running or not (after a reboot of this host they are
  # shut off), or `vagrant up` would boot it on the old box.
  if (cd "$VAGRANT_DIR" && vagrant status 2>/dev/null | grep -Eq '(running|shutoff|paused|suspended) \(libvirt\)'); then
    stage "vagrant destroy (lab antigo)" 0 vagrant_destroy
  fi
  stage "vagrant up (driver $LAB_DRIVER)" 0 vagrant_up || exit 1
fi
stage "pcs status" any lab_status
if [[ ${REUSE_LAB:-0} != 1 ]]; then
  stage "vagrant snapshot save base" 0 snapshot_save
  stage "vagrant snapshot restore base" 0 snapshot_restore
fi
for n in $EXERCISES; do
  stage "labcheck start exercise$n" 0 start_exercise "$n"
  # Exercises 4 and 5's pages show the Vagrant lab's own output. `sample` judges the stage
  # that just ran, so each sample follows its own stage.
  own_samples=$([[ $n == 4 || $n == 5 ]] && echo 1 || echo 0)
  stage "labcheck exercise$n (antes)" fail grade "$n"
  ((own_samples)) && sample "labcheck exercise$n (antes)" "exercise$n-fail-vagrant"
  stage "solução exercise$n" 0 solve "$n"
  if [[ $n == 1 ]]; then
    # Exercise 1 is not done until step 7's crash has been fenced: every other step passes.
    stage "labcheck exercise1 (passos 1 a 6)" fail grade_until_crash
  else
    stage "labcheck exercise$n (resolvido)" 0 grade "$n"
  fi
  ((own_samples)) && sample "labcheck exercise$n (resolvido)" "exercise$n-pass-vagrant"
  if [[ $n == 1 ]]; then
    stage "exercise1 passo 7 (failover)" 0 failover_exercise1
    stage "labcheck exercise1 (após failover)" fail grade 1
    sample "labcheck exercise1 (após failover)" exercise1-after-crash-vagrant
    stage "exercise1 passo 8 (devolve a VM)" 0 failback_exercise1
    stage "labcheck exercise1 (após passo 8)" 0 grade 1
    sample "labcheck exercise1 (após passo 8)" exercise1-pass-vagrant
  fi
done
for n in $(echo "$EXERCISES" | tr ' ' '\n' | sort -rn); do
  stage "labcheck reset exercise$n" 0 reset_exercise "$n"
  stage "labcheck exercise$n (após reset)" fail grade "$n"
done
if has_snapshot; then
  # Something to undo: exercise 2 solved again (remote node + resource), then the snapshot.
  [[ " $EXERCISES " == *" 2 "* ]] && stage "solução exercise2 (de novo)" 0 solve 2
  stage "labcheck reset --snapshot" 0 snapshot_reset
  for n in $EXERCISES; do stage "labcheck exercise$n (após snapshot)" fail grade "$n"; done
  # Each notebook's Vagrant path, as a student runs it, on the fresh lab (snapshot between).
  for n in ${NOTEBOOKS-$EXERCISES}; do
    stage "caderno exercicio$n" 0 run_notebook "$n"
    stage "labcheck reset --snapshot" 0 snapshot_reset
  done
  # The lessons' blocks that run on the Vagrant lab, each page on the fresh lab.
  # (a mark is a line of its own: the contributor notes quote one inside a table)
  for page in ${PAGES-$(cd "$REPO" && grep -rlE -- '^\s*<!-- vagrant: [a-z0-9 ]+ -->\s*$' docs | sort)}; do
    stage "página ${page##*/}" 0 run_page "$page"
    stage "labcheck reset --snapshot" 0 snapshot_reset
  done
else
  echo "sem o snapshot base: cadernos e páginas não rodam (rode sem REUSE_LAB uma vez)"
fi
if [[ ${REBUILD:-0} == 1 ]]; then
  stage "labcheck reset --rebuild" 0 rebuild_lab
  stage "pcs status (recriado)" any lab_status
  for n in $EXERCISES; do stage "labcheck exercise$n (recriado)" fail grade "$n"; done
fi
if [[ ${KEEP:-0} != 1 ]]; then stage "vagrant destroy" 0 vagrant_destroy; fi
[[ $failures == 0 ]] && echo "E2E OK" || echo "E2E: $failures etapa(s) falharam"
exit $(( failures > 0 ))

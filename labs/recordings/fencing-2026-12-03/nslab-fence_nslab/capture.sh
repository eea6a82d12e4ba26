#!/bin/bash
# Records real outputs of fence_nslab on lab fa for the course pages.
set -u
cd /work/wt-fence
L="labs/nslab/nslab"; O=/tmp/fence-outputs
N() { $L exec --name fb node1 -- "$@"; }
ts() { date -u +%T.%3N; }
$L up --name fb --subnet 192.168.241 >/dev/null 2>&1
$L reset --name fb >/dev/null
{ echo '$ pcs stonith create fence-lab fence_nslab pcmk_host_list="node1 node2"'; N pcs stonith create fence-lab fence_nslab pcmk_host_list="node1 node2" 2>&1
  echo '$ pcs property set stonith-enabled=true'; N pcs property set stonith-enabled=true 2>&1; } > $O/01-create.txt
sleep 3
{ echo '$ pcs stonith status'; N pcs stonith status; echo '$ pcs stonith config'; N pcs stonith config; } > $O/02-pcs-stonith-status.txt 2>&1
{ echo '$ pcs stonith list | grep nslab'; N pcs stonith list | grep nslab; echo '$ stonith_admin --list-installed | grep nslab'; N stonith_admin --list-installed | grep nslab; echo '$ pcs stonith describe fence_nslab'; N pcs stonith describe fence_nslab; } > $O/03-list-describe.txt 2>&1
N fence_nslab -o metadata > $O/04-metadata.xml
{ for s in 'action=list' 'action=status\nplug=node2' 'action=monitor' 'action=validate-all' 'action=status\nplug=node9' 'action=explode'; do
  echo "\$ printf '$s\\n' | fence_nslab; echo \$?"; N sh -c "printf '$s\n' | fence_nslab 2>&1; echo \$?"; done; } > $O/05-agent-direct.txt
# (a) pcs stonith fence node2, crm_mon sampled while it runs
( N pcs stonith fence node2 > $O/06-pcs-stonith-fence.txt 2>&1 ) &
fp=$!
for i in $(seq 1 40); do echo "=== $(ts)"; N crm_mon -1 --fence-history=3 2>&1 | sed -n '/Node List/,$p'; sleep 0.5; done > $O/07-crm_mon-during-pcs-fence.txt
wait $fp
sleep 5
N crm_mon -1 --fence-history=3 > $O/08-crm_mon-after-pcs-fence.txt
# (b) unannounced crash with a Dummy on node2
N sh -c 'pcs resource create dummy ocf:pacemaker:Dummy --disabled && pcs constraint location dummy prefers node2=50 && pcs resource enable dummy --wait=60' >/dev/null 2>&1
N crm_mon -1 > $O/09-crm_mon-before-crash.txt
echo "\$ nslab crash-node node2   # at $(ts)" > $O/10-crash.txt
$L crash-node node2 --name fb >> $O/10-crash.txt 2>&1
for i in $(seq 1 45); do echo "=== $(ts)"; N crm_mon -1 --fence-history=3 2>&1 | sed -n '/Node List/,$p'; sleep 0.5; done > $O/11-crm_mon-during-crash-fencing.txt
sleep 3
N crm_mon -1 --fence-history=3 > $O/12-crm_mon-after-crash-fencing.txt
{ echo "\$ stonith_admin --history '*'"; N stonith_admin --history '*'; echo; echo "\$ stonith_admin --history '*' --verbose"; N stonith_admin --history '*' --verbose; echo; echo '$ pcs stonith history'; N pcs stonith history; } > $O/13-history.txt 2>&1
N stonith_admin --history '*' --output-as=xml > $O/14-history.xml
N stonith_admin --history '*' --verbose --output-as=xml > $O/15-history-verbose.xml
N crm_mon -1 --output-as=xml --fence-history=3 > $O/16-crm_mon-after.xml
grep -E "Operation 'reboot'|Peer node2 was terminated|Result of start operation for dummy on node1|will be fenced|Requesting fencing" $(ls -d /var/tmp/labcheck-nslab/fb)/nodes/node1/log-pacemaker/pacemaker.log > $O/17-node1-pacemaker-log-excerpt.txt
cp /var/tmp/labcheck-nslab/fb/fence_nslabd.log $O/18-fence_nslabd.log
$L status --name fb > $O/19-nslab-status.txt 2>&1
$L power-off node2 --name fb > $O/20-power-off-status.txt 2>&1; $L power-status node2 --name fb >> $O/20-power-off-status.txt; $L status --name fb >> $O/20-power-off-status.txt 2>&1
sleep 10; N crm_mon -1 --fence-history=3 >> $O/20-power-off-status.txt 2>&1
$L reset --name fb > $O/21-reset.txt 2>&1
{ N pcs stonith status; N pcs property config stonith-enabled; N stonith_admin --history '*' --verbose; } >> $O/21-reset.txt 2>&1

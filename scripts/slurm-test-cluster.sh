#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for the tests and for trying `dplab sweep
# --executor slurm` without a cluster: munged + slurmctld + slurmd from Debian's packages
# (slurmctld slurmd slurm-client munge; scripts/setup-machine.sh installs them). Needs root.
#
#   scripts/slurm-test-cluster.sh start    # idempotent: returns once `sinfo` shows the node idle
#   scripts/slurm-test-cluster.sh stop
#   scripts/slurm-test-cluster.sh status   # exit 0 when the cluster answers
#
# State, spool, logs and pid files live in $DPLAB_SLURM_DIR (default /tmp/dplab-slurm). The
# configuration is written to /etc/slurm/slurm.conf (where the client commands look), but only when
# that file is absent or was written by this script: a real cluster's configuration is never touched.
set -euo pipefail

DIR="${DPLAB_SLURM_DIR:-/tmp/dplab-slurm}"
CONF=/etc/slurm/slurm.conf
MARK='# written by dplab scripts/slurm-test-cluster.sh'
HOST="$(hostname -s)"

die() { echo "slurm-test-cluster: $*" >&2; exit 1; }

answers() { timeout 5 sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; }

start() {
  [ "$(id -u)" = 0 ] || die "must run as root (it starts munged, slurmctld and slurmd)"
  for b in munged slurmctld slurmd sinfo sbatch; do
    command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] || die "$b not found: install Debian's slurmctld slurmd slurm-client munge (scripts/setup-machine.sh)"
  done
  if answers; then echo "slurm-test-cluster: already running"; return 0; fi
  if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    die "$CONF exists and was not written by this script; refusing to replace a real cluster's configuration"
  fi
  mkdir -p "$DIR"/{state,spool,log} /etc/slurm

  # munge: a key of 1024 random bytes owned by munge (mode 400), munged run as munge.
  install -d -o munge -g munge -m 700 /etc/munge /var/lib/munge /var/log/munge
  install -d -o munge -g munge -m 755 /run/munge
  if [ ! -s /etc/munge/munge.key ] || [ "$(stat -c %s /etc/munge/munge.key)" -lt 1024 ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  if ! pgrep -u munge -x munged >/dev/null; then
    runuser -u munge -- /usr/sbin/munged
  fi

  local cpus mem
  cpus="$(nproc)"
  mem="$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)"
  cat >"$CONF" <<EOF
$MARK
ClusterName=dplabtest
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerType=sched/backfill
JobRequeue=1
KillWait=5
MinJobAge=600
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.txt
NodeName=$HOST CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
  pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld
  pgrep -x slurmd >/dev/null || /usr/sbin/slurmd
  for _ in $(seq 1 60); do
    if answers; then echo "slurm-test-cluster: node $HOST up ($cpus CPUs, partition debug)"; return 0; fi
    sleep 0.5
  done
  tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 || true
  die "the node did not come up within 30 s (logs above, in $DIR/log)"
}

stop() {
  local f pid
  for f in slurmd slurmctld; do
    pid="$(cat "$DIR/$f.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; fi
  done
  for _ in $(seq 1 20); do
    pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null || break
    sleep 0.25
  done
  echo "slurm-test-cluster: stopped (munged left running)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) answers ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

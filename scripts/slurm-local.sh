#!/usr/bin/env bash
# A private single-node Slurm on this machine, for trying and testing the job
# scripts in slurm/ without a cluster (Debian 12, no systemd needed).
#
#   scripts/slurm-local.sh install        # munge, slurmctld, slurmd, slurm-client from apt, if missing
#   scripts/slurm-local.sh start DIR      # munged, slurmctld, slurmd with their config, state,
#                                         # logs and pid files all inside DIR (created)
#   export SLURM_CONF=DIR/slurm.conf      # then sbatch, squeue, sinfo talk to that Slurm
#   scripts/slurm-local.sh stop DIR       # cancel its jobs, stop the daemons by their pid files
#
# The node is `localhost` with this machine's CPUs: a job asking for more tasks
# per node than that pends for ever (Reason=PartitionConfig), as on any cluster;
# slurm/submit.sh and slurm/sweep.sh refuse such a count before submitting, and
# slurm/ringsim.sbatch without a count fits its default to the node. Nothing
# outside DIR is written (the packages' own files aside) and nothing is started
# as a system service.
# Exit codes: 0 ok, 1 failure, 3 the packages cannot be installed.
set -euo pipefail

packages=(munge slurmctld slurmd slurm-client)

die() {
  echo "slurm-local: error: $*" >&2
  exit 1
}

cmd_install() {
  local missing=() p
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "slurm-local: cannot install ${missing[*]}: not root and no sudo" >&2
      exit 3
    fi
    sudo="sudo -n"
  fi
  echo "slurm-local: installing ${missing[*]}"
  # policy-rc.d keeps the packages' init scripts from starting system daemons.
  if ! { $sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null; }; then
    echo "slurm-local: apt-get could not install ${missing[*]}" >&2
    exit 3
  fi
}

# A free TCP port on the loopback interface (the kernel picks it).
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_conf() {
  local dir=$1 cpus mem_mb ctld_port slurmd_port
  cpus=$(nproc)
  # Half of the memory, so that the node never looks smaller than configured.
  mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 / 2 }' /proc/meminfo)
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
  : >"$dir/plugstack.conf"
  cat >"$dir/slurm.conf" <<EOF
# Written by scripts/slurm-local.sh: a private single-node Slurm in $dir
ClusterName=ringsim-local
SlurmctldHost=localhost
SlurmUser=$(id -un)
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
PlugStackConfig=$dir/plugstack.conf
TmpFS=$dir/tmp
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=pmix
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
# Every finished job's final state, read by tests (sbatch --wait can race the purge).
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.log
ReturnToService=2
# Job records stay five minutes after the end, so that scontrol still knows them.
MinJobAge=300
KillWait=10
InactiveLimit=0
SlurmctldDebug=info
SlurmdDebug=info
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

wait_for() { # seconds, description, command...
  local seconds=$1 what=$2
  shift 2
  local i
  for ((i = 0; i < seconds * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "slurm-local: timed out after ${seconds}s waiting for $what" >&2
  return 1
}

node_ready() {
  [ "$(sinfo -h -n localhost -o '%T' 2>/dev/null)" = "idle" ]
}

show_logs() {
  local dir=$1 f
  for f in munged.log slurmctld.log slurmd.log; do
    if [ -s "$dir/$f" ]; then
      echo "---- $dir/$f (last lines)" >&2
      tail -n 20 "$dir/$f" >&2
    fi
  done
}

cmd_start() {
  local dir=${1:?usage: slurm-local.sh start DIR}
  for p in munged slurmctld slurmd sbatch; do
    command -v "$p" >/dev/null || PATH=$PATH:/usr/sbin
    command -v "$p" >/dev/null || die "$p not found (run: scripts/slurm-local.sh install)"
  done
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ -e "$dir/slurmctld.pid" ] || [ -e "$dir/munged.pid" ]; then
    die "$dir already has pid files: stop that Slurm first (scripts/slurm-local.sh stop $dir)"
  fi
  local up=$dir
  while up=$(dirname "$up") && [ "$up" != / ]; do
    [ "$(($(stat -c '%#a' "$up") & 1))" -eq 1 ] ||
      die "munged needs every folder above $dir open to all (chmod o+x $up)"
  done
  # munged wants its key in a private folder and its socket in a folder that
  # everyone may enter but only its owner may write.
  chmod 0755 "$dir"
  mkdir -p "$dir/munge" "$dir/munge-key" "$dir/state" "$dir/spool" "$dir/tmp"
  chmod 0755 "$dir/munge"
  chmod 0700 "$dir/munge-key"
  write_conf "$dir"
  export SLURM_CONF=$dir/slurm.conf

  dd if=/dev/urandom of="$dir/munge-key/munge.key" bs=1024 count=1 status=none
  chmod 0400 "$dir/munge-key/munge.key"
  munged --key-file="$dir/munge-key/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" \
    --seed-file="$dir/munge-key/munged.seed" ||
    { show_logs "$dir"; die "munged did not start"; }
  wait_for 10 "munged" test -S "$dir/munge/munge.socket" || { show_logs "$dir"; exit 1; }

  slurmctld -c -f "$SLURM_CONF" || { show_logs "$dir"; die "slurmctld did not start"; }
  wait_for 30 "slurmctld" scontrol ping || { show_logs "$dir"; exit 1; }
  slurmd -N localhost -f "$SLURM_CONF" || { show_logs "$dir"; die "slurmd did not start"; }
  if ! wait_for 60 "node localhost to become idle" node_ready; then
    sinfo -N -l >&2 || true
    show_logs "$dir"
    exit 1
  fi
  echo "slurm-local: running in $dir (export SLURM_CONF=$dir/slurm.conf)"
}

# Stops the daemon whose pid file is given, if its process still runs the
# expected program; waits for it to exit.
stop_daemon() {
  local pidfile=$1 name=$2 pid i
  [ -s "$pidfile" ] || return 0
  pid=$(tr -dc '0-9' <"$pidfile")
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      [ -d "/proc/$pid" ] || break
      sleep 0.2
    done
    if [ -d "/proc/$pid" ]; then
      echo "slurm-local: $name ($pid) still running after 10s, sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

cmd_stop() {
  local dir=${1:?usage: slurm-local.sh stop DIR}
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd)
  export SLURM_CONF=$dir/slurm.conf
  if [ -s "$dir/slurmctld.pid" ] && timeout 10 scontrol ping >/dev/null 2>&1; then
    # Cancel what is left, so that no job step outlives its slurmd.
    timeout 10 scancel --user="$(id -un)" >/dev/null 2>&1 || true
    wait_for 30 "the jobs to end" test -z "$(squeue -h -o %i 2>/dev/null)" || true
  fi
  stop_daemon "$dir/slurmd.pid" slurmd
  stop_daemon "$dir/slurmctld.pid" slurmctld
  stop_daemon "$dir/munged.pid" munged
}

case ${1:-} in
  install) cmd_install ;;
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  *)
    echo "usage: $0 install | start DIR | stop DIR" >&2
    exit 2
    ;;
esac

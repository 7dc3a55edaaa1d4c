#!/usr/bin/env bash
# A one-node Slurm cluster in a temporary folder, for the Slurm tests (npm run test:slurm):
#   scripts/slurm-cluster.sh ensure        install Debian's slurmctld, slurmd, slurm-client and
#                                          munge when missing (as root or through passwordless sudo)
#   scripts/slurm-cluster.sh start DIR     start munged + slurmctld + slurmd with their config,
#                                          keys, sockets, state, logs and pid files in DIR; prints
#                                          the SLURM_CONF the client commands need
#   scripts/slurm-cluster.sh stop DIR      cancel every job, stop the daemons, and end whatever
#                                          the cluster left (slurmstepd, job processes: those
#                                          whose environment names DIR's slurm.conf and a job)
# Needs root (munged and slurmd run as root here, with SlurmUser=root). No systemd needed.
set -euo pipefail

need_root() {
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; else
    echo "The Slurm tests need root (or passwordless sudo) to install and run slurmd and munged." >&2
    exit 1
  fi
}

ensure() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then return; fi
  need_root
  echo "installing Debian's slurmctld, slurmd, slurm-client and munge for the Slurm tests (once)..." >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq slurmctld slurmd slurm-client munge >/dev/null
  command -v slurmctld >/dev/null || { echo "apt-get ran, but slurmctld is still missing." >&2; exit 1; }
}

start() {
  local dir="$1"
  # The daemons themselves run as root (SlurmUser=root); sudo is enough to install, not to run them here.
  if [ "$(id -u)" -ne 0 ]; then
    echo "Starting the test cluster runs munged, slurmctld and slurmd as root: run the Slurm tests as root." >&2
    exit 1
  fi
  mkdir -p "$dir"/{munge,state,spool,log}
  dir="$(cd "$dir" && pwd)"
  # munged refuses a socket folder it cannot trust: 0755, owned by root.
  chmod 0755 "$dir" "$dir/munge"
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 0400 "$dir/munge/munge.key"
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"
  local host mem cpus
  host="$(hostname -s)"
  mem=$(($(free -m | awk '/^Mem:/ {print $2}') - 1024))
  [ "$mem" -ge 1024 ] || mem=1024
  # Two CPUs (fewer where the machine has fewer): the tests rely on 2 one-CPU tasks at a time.
  cpus="${SLURM_CLUSTER_CPUS:-2}"
  [ "$(nproc)" -lt "$cpus" ] && cpus="$(nproc)"
  cat >"$dir/slurm.conf" <<EOF
ClusterName=ecvae-test
SlurmctldHost=$host
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${SLURMCTLD_PORT:-6817}
SlurmdPort=${SLURMD_PORT:-6818}
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=1024
# Ended jobs stay listed by squeue for an hour: there is no slurmdbd for sacct here.
MinJobAge=3600
ReturnToService=2
JobCompType=jobcomp/none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 1 100); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qx 'idle'; then
      echo "SLURM_CONF=$SLURM_CONF"
      return
    fi
    sleep 0.1
  done
  echo "the Slurm node did not become idle within 10 s; logs in $dir/log:" >&2
  tail -n 20 "$dir"/log/*.log >&2 || true
  exit 1
}

# What the cluster started: slurmstepd and job processes, whose environment names this
# cluster's slurm.conf (slurmd passes it on, sbatch exports the submitter's). Client shells
# that merely set SLURM_CONF (this script, the test runner) carry no SLURM_JOB_ID.
cluster_pids() {
  local conf="$1" proc pid env comm
  for proc in /proc/[0-9]*; do
    pid="${proc#/proc/}"
    [ "$pid" = "$$" ] && continue
    env="$({ tr '\0' '\n' <"$proc/environ"; } 2>/dev/null || true)"
    grep -qxF "SLURM_CONF=$conf" <<<"$env" || continue
    comm="$(cat "$proc/comm" 2>/dev/null || true)"
    if [ "$comm" = "slurmstepd" ] || grep -q '^SLURM_JOB_ID=' <<<"$env"; then echo "$pid"; fi
  done
}

pid_of() { [ -s "$1" ] && cat "$1" || true; }

stop() {
  local dir="$1"
  [ -d "$dir" ] || return 0
  dir="$(cd "$dir" && pwd)"
  local conf="$dir/slurm.conf"
  export SLURM_CONF="$conf"
  # Cancel the jobs first: `scontrol shutdown` leaves running jobs' slurmstepd alive.
  if [ -f "$conf" ] && [ -n "$(pid_of "$dir/slurmctld.pid")" ]; then
    scancel --quiet --full --partition=debug 2>/dev/null || true
    for _ in $(seq 1 50); do
      [ -z "$(squeue -h -t running,completing,pending 2>/dev/null)" ] && break
      sleep 0.1
    done
    scontrol shutdown 2>/dev/null || true
  fi
  local pids
  for _ in $(seq 1 30); do
    pids="$(
      pid_of "$dir/slurmctld.pid"
      pid_of "$dir/slurmd.pid"
      cluster_pids "$conf"
    )"
    pids="$(for p in $pids; do [ -d "/proc/$p" ] && echo "$p"; done | sort -u)"
    [ -z "$pids" ] && break
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null || true
    sleep 0.2
  done
  # shellcheck disable=SC2086
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
  local munge
  munge="$(pid_of "$dir/munge/munged.pid")"
  if [ -n "$munge" ] && [ -d "/proc/$munge" ]; then
    kill "$munge" 2>/dev/null || true
    for _ in $(seq 1 20); do [ -d "/proc/$munge" ] || break; sleep 0.1; done
    [ -d "/proc/$munge" ] && kill -9 "$munge" 2>/dev/null || true
  fi
  return 0
}

case "${1:-}" in
  ensure) ensure ;;
  start) start "${2:?usage: slurm-cluster.sh start DIR}" ;;
  stop) stop "${2:?usage: slurm-cluster.sh stop DIR}" ;;
  *)
    echo "usage: scripts/slurm-cluster.sh ensure | start DIR | stop DIR" >&2
    exit 2
    ;;
esac

# shellcheck shell=bash disable=SC2034,SC2154  # sets fit_* for its caller, which defines $here
# Sourced (not run) by slurm/submit.sh and slurm/sweep.sh: does the job that the sbatch
# options ask for fit the nodes of its partition? sbatch accepts a task count that no node
# of the partition can give and the job then pends for ever (Reason=PartitionConfig)
# without a word; these functions refuse it before anything is queued, naming the option
# to pass. The caller defines die (one line on stderr, exit 2) and $here (the slurm/ folder).
#
#   fit_load [sbatch options]   what the job asks for: these options (the first occurrence
#                               counts), then SBATCH_PARTITION, then the #SBATCH lines of
#                               ringsim.sbatch, then its default task count
#   fit_check                   reads the partition's nodes (sinfo) and dies if the job
#                               cannot fit; sets fit_per_node, fit_ranks and, when the
#                               options give no task count, fit_pin (the count the job
#                               script would choose on the smallest node, as an option)

# Reads the task options from "$@" into the fit_* variables still empty.
fit_shape() {
  local -a args=("$@")
  local i=0 arg value
  while [ $i -lt ${#args[@]} ]; do
    arg=${args[$i]} value=""
    case $arg in
      --ntasks=* | --nodes=* | --ntasks-per-node=* | --partition=*) value=${arg#*=} arg=${arg%%=*} ;;
      -n?* | -N?* | -p?*) value=${arg:2} arg=${arg:0:2} ;;
      -n | -N | -p | --ntasks | --nodes | --ntasks-per-node | --partition)
        i=$((i + 1))
        value=${args[$i]:-}
        ;;
    esac
    case $arg in
      -n | --ntasks) [ -n "$fit_ntasks" ] || fit_ntasks=${value%%[!0-9]*} fit_ntasks_opt="-n $value" ;;
      -N | --nodes) [ -n "$fit_nodes" ] || fit_nodes=${value%%[!0-9]*} ;; # "2-4" nodes: at least 2
      --ntasks-per-node) [ -n "$fit_per_node_asked" ] || fit_per_node_asked=${value%%[!0-9]*} ;;
      -p | --partition) [ -n "$fit_partition" ] || fit_partition=$value ;;
    esac
    i=$((i + 1))
  done
}

fit_load() {
  fit_ntasks="" fit_ntasks_opt="" fit_nodes="" fit_per_node_asked="" fit_partition=""
  fit_shape "$@"
  [ -n "$fit_partition" ] || fit_partition=${SBATCH_PARTITION:-}
  local -a script_options=() words
  while read -r -a words; do
    script_options+=("${words[@]}")
  done < <(sed -n 's/^#SBATCH[[:space:]]\{1,\}\([^#]*\).*/\1/p' "$here/ringsim.sbatch")
  fit_shape "${script_options[@]}"
  fit_nodes=${fit_nodes:-1}
  [ "$fit_nodes" -ge 1 ] 2>/dev/null || fit_nodes=1
  fit_default=$(sed -n 's/^ringsim_default_tasks=\([0-9]\{1,\}\).*/\1/p' "$here/ringsim.sbatch" | head -n 1)
  fit_default=${fit_default:-4}
}

# The partition's nodes, from sinfo: fit_node_count, fit_min_cpus, fit_max_cpus and
# fit_where (for messages); empty counts when sinfo cannot tell.
fit_nodes_info() {
  local lines
  fit_node_count="" fit_min_cpus="" fit_max_cpus="" fit_where=""
  lines=$(sinfo -h -N -o '%N %c %P' 2>/dev/null) || lines=""
  # One line per node and partition; the default partition ends in '*'.
  read -r fit_node_count fit_min_cpus fit_max_cpus fit_where < <(awk -v want="$fit_partition" '
    BEGIN { n = split(want, parts, ","); for (i = 1; i <= n; i++) wanted[parts[i]] = 1 }
    {
      p = $3; is_default = sub(/\*$/, "", p)
      if (want == "" ? !is_default : !(p in wanted)) next
      if (!($1 in seen)) { seen[$1] = 1; count++ }
      c = $2 + 0
      if (min == "" || c < min) min = c
      if (c > max) max = c
      name = p
    }
    END { if (count) printf "%d %d %d %s\n", count, min, max, (want == "" ? name : want) }' <<<"$lines") || true
}

fit_check() {
  fit_nodes_info
  fit_pin=()
  local asked=${RINGSIM_TASKS_PER_NODE:-} what nodes=$fit_nodes
  if [ -n "$asked" ] && ! [[ $asked =~ ^[1-9][0-9]*$ ]]; then
    die "RINGSIM_TASKS_PER_NODE=$asked: not a positive integer"
  fi
  if [ -z "$fit_node_count" ]; then
    echo "${me:-slurm}: warning: sinfo lists no nodes for partition '${fit_partition:-(the default)}': the task count is not checked against them" >&2
  elif [ "$nodes" -gt "$fit_node_count" ]; then
    die "-N $nodes: partition $fit_where has $fit_node_count node(s) (the job would pend for ever, Reason=PartitionConfig): pass -N $fit_node_count or fewer, or -p another partition; nothing submitted"
  fi
  if [ -n "$fit_per_node_asked" ] || [ -n "$fit_ntasks" ]; then
    if [ -n "$fit_per_node_asked" ]; then
      fit_per_node=$fit_per_node_asked
      fit_ranks=${fit_ntasks:-$((nodes * fit_per_node))}
      what="--ntasks-per-node=$fit_per_node"
    else
      fit_per_node=$(((fit_ntasks + nodes - 1) / nodes))
      fit_ranks=$fit_ntasks
      what="$fit_ntasks_opt on $nodes node(s) is $fit_per_node tasks per node, which"
    fi
    if [ -n "$fit_max_cpus" ] && [ "$fit_per_node" -gt "$fit_max_cpus" ]; then
      local fix="pass --ntasks-per-node=$fit_max_cpus or fewer (and -N for more ranks)"
      if [ -z "$fit_per_node_asked" ]; then
        fix="pass -N $(((fit_ntasks + fit_max_cpus - 1) / fit_max_cpus)) to spread them, or -n $((nodes * fit_max_cpus)) or fewer"
      fi
      die "$what asks more than the $fit_max_cpus CPU(s) of the largest node of partition $fit_where (the job would pend for ever, Reason=PartitionConfig): $fix, or -p a partition with bigger nodes; nothing submitted"
    fi
    return 0
  fi
  # No task count: the job script runs RINGSIM_TASKS_PER_NODE per node, or its default
  # fitted to the node's CPUs.
  if [ -n "$asked" ]; then
    if [ -n "$fit_max_cpus" ] && [ "$asked" -gt "$fit_max_cpus" ]; then
      die "RINGSIM_TASKS_PER_NODE=$asked asks more than the $fit_max_cpus CPU(s) of the largest node of partition $fit_where: set RINGSIM_TASKS_PER_NODE=$fit_max_cpus or fewer, or pass -p a partition with bigger nodes; nothing submitted"
    fi
    fit_per_node=$asked
  else
    fit_per_node=$fit_default
    if [ -n "$fit_min_cpus" ] && [ "$fit_min_cpus" -lt "$fit_per_node" ]; then
      fit_per_node=$fit_min_cpus
      echo "${me:-slurm}: no task count given: $fit_per_node task(s) per node, one per CPU of the smallest node of partition $fit_where (the default, $fit_default, is more; --ntasks-per-node=N chooses)"
    fi
  fi
  fit_ranks=$((nodes * fit_per_node))
  if [ -n "$fit_node_count" ]; then fit_pin=(--ntasks-per-node="$fit_per_node"); fi
}

#!/usr/bin/env bash
# Submit a sharded `cntlens experiment` to Slurm: a job array of N shards
# (experiment-array.sbatch, one shard per task) and a merge job (merge.sbatch) that starts once
# every task has succeeded (afterok), and is cancelled if one fails.
#
#   examples/slurm/submit.sh [-n SHARDS] [-o OUT] [-l LOGS] [-w] [-- cntlens experiment options...]
#
#   -n, --shards N   number of shards = array tasks (default 4)
#   -o, --out DIR    results folder, on a file system every node sees (default ./results)
#   -l, --logs DIR   folder for the jobs' Slurm logs (default ./slurm-logs)
#   -w, --wait       wait for the merge job to end and exit with its status
#   -h, --help       this text
#   after --         options for every shard's `cntlens experiment` (--config, --checkpoints, ...)
#
# Environment:
#   CNTLENS_HOME          the cntlens checkout the jobs run (default: the one holding this script)
#   NODE                  the Node.js (>= 20) the jobs run (default: node on the jobs' PATH)
#   CNTLENS_ARRAY_ARGS    extra sbatch options for the array, e.g. "--cpus-per-task=8 --mem=16G
#                         --time=2:00:00" (each shard then runs --workers 8)
#   CNTLENS_MERGE_ARGS    extra sbatch options for the merge job
#   SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_TIMELIMIT, ...  read by sbatch itself, for both jobs
#
# Prints the two job ids. Example (Pythia-160m's checkpoints from the Hugging Face cache):
#   examples/slurm/submit.sh -n 8 -o /shared/pythia160m -- --checkpoints hf:EleutherAI/pythia-160m \
#       --steps 0,1,2,4,8,16,32,64,128,256,512,1000..143000:1000
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
shards=4
out=results
logs=slurm-logs
wait=0
while [[ $# -gt 0 ]]; do
  case $1 in
    -n|--shards) shards=${2:?"$1 needs a value"}; shift 2 ;;
    -o|--out) out=${2:?"$1 needs a value"}; shift 2 ;;
    -l|--logs) logs=${2:?"$1 needs a value"}; shift 2 ;;
    -w|--wait) wait=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) echo "submit.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ $shards =~ ^[1-9][0-9]*$ ]]; then
  echo "submit.sh: --shards must be a positive integer, got '$shards'" >&2
  exit 2
fi
for tool in sbatch; do
  command -v "$tool" >/dev/null || { echo "submit.sh: $tool not found (is Slurm installed here?)" >&2; exit 2; }
done

export CNTLENS_HOME=${CNTLENS_HOME:-$(cd "$here/../.." && pwd)}
[[ $out = /* ]] || out=$PWD/$out
[[ $logs = /* ]] || logs=$PWD/$logs
mkdir -p "$logs"   # Slurm does not create the folder of --output

# Word splitting of the *_ARGS variables is intended: they hold several sbatch options.
# shellcheck disable=SC2086
array_job=$(sbatch --parsable --array="0-$((shards - 1))" --output="$logs/cntlens-%A_%a.log" \
  ${CNTLENS_ARRAY_ARGS:-} "$here/experiment-array.sbatch" "$out" "$@")
array_job=${array_job%%;*}   # --parsable prints "id" or "id;cluster"
echo "array job ${array_job}: ${shards} shard(s) into ${out}"

# shellcheck disable=SC2086
merge_job=$(sbatch --parsable --dependency="afterok:${array_job}" --kill-on-invalid-dep=yes \
  --output="$logs/cntlens-merge-%j.log" ${CNTLENS_MERGE_ARGS:-} "$here/merge.sbatch" "$out")
merge_job=${merge_job%%;*}
echo "merge job ${merge_job}: runs when every shard has succeeded; then see ${out}/report.html"
[[ $wait = 1 ]] || exit 0

# Wait by polling the job's state: `sbatch --wait` exits 0 for a job cancelled because a shard
# failed (DependencyNeverSatisfied), so its status alone cannot be trusted.
job_state() {
  local line
  if line=$(scontrol show job --oneliner "$1" 2>/dev/null); then
    sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<<"$line"
  elif command -v sacct >/dev/null; then
    sacct --noheader --allocations --format=State --jobs "$1" 2>/dev/null | awk 'NR==1 {print $1}'
  fi
}
echo "waiting for merge job ${merge_job} (and the array before it) to end..."
while :; do
  state=$(job_state "$merge_job")
  case $state in
    PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|RESIZING|SIGNALING|STAGE_OUT|"") sleep "${CNTLENS_POLL_SECONDS:-2}" ;;
    COMPLETED) echo "merge job ${merge_job} completed: ${out}/report.html"; exit 0 ;;
    *)
      echo "merge job ${merge_job} ended ${state}: $(scontrol show job --oneliner "$merge_job" 2>/dev/null | grep -o 'Reason=[^ ]*' || true)" >&2
      echo "see the logs in ${logs}" >&2
      exit 1 ;;
  esac
done

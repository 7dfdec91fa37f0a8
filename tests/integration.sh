#!/bin/sh
# make integration: pthumb --shard auto as a Slurm job array, on a
# single-node Slurm cluster started here (Debian's slurmctld, slurmd and
# munge; as root, without systemd or cgroups).
#
# An array of 4 tasks (--array=1-7:2: it starts at 1 and steps by 2) makes
# the thumbnails of one photo tree into one shared folder. The first run
# of task 3 is killed outright partway (SIGKILL, as a node failure would)
# and exits 42, which slurm.conf's RequeueExit turns into a requeue. Then:
# every image has exactly one thumbnail, no temporary file is left, and
# the JSON records of every task and restart say each image was made once
# (or, after the kill, found up to date), never twice. An array that is
# not an even range (--array=1,2,5) is refused by --shard auto.
#
# Where Slurm cannot be installed or started, it prints one line
# "integration: SKIP: REASON" and exits 0.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
pthumb=$top/pthumb
w=
pids=

say() { echo "integration: $*"; }
skip() { say "SKIP: $*"; exit 0; }

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	[ -n "$w" ] && rm -rf "$w"
}
trap cleanup EXIT

fail() {
	say "FAIL: $*"
	for f in "$w"/slurmctld.log "$w"/slurmd.log "$w"/rec/*.err; do
		[ -s "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
	done
	exit 1
}

# Wait up to $1 seconds for the command after it to succeed.
wait_for() {
	n=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

install_slurm() {
	missing=
	for p in slurmctld slurmd slurm-client munge; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 ||
	{ apt-get update -q >/dev/null 2>&1 &&
	  apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; }
}

start_munge() {
	key=/etc/munge/munge.key
	[ -s "$key" ] || mungekey --create --keyfile="$key" || return 1
	chown munge:munge "$key" && chmod 0400 "$key" || return 1
	mkdir -p /run/munge && chown munge:munge /run/munge || return 1
	setpriv --reuid=munge --regid=munge --clear-groups \
		munged --foreground >"$w/munged.log" 2>&1 &
	pids="$pids $!"
	wait_for 10 munge -n
}

write_conf() {
	host=$(hostname -s)
	node=$(slurmd -C | head -n 1)
	[ -n "$node" ] || return 1
	mkdir -p "$w/state" "$w/spool"
	cat >"$w/slurm.conf" <<EOF
ClusterName=pthumb
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=cred_expire=10
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
ReturnToService=2
RequeueExit=42
SchedulerParameters=batch_sched_delay=0,bf_interval=1,sched_interval=2
StateSaveLocation=$w/state
SlurmdSpoolDir=$w/spool
SlurmctldPidFile=$w/slurmctld.pid
SlurmdPidFile=$w/slurmd.pid
SlurmctldLogFile=$w/slurmctld.log
SlurmdLogFile=$w/slurmd.log
$node NodeAddr=127.0.0.1
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

node_idle() { [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; }

start_slurm() {
	export SLURM_CONF="$w/slurm.conf"
	slurmctld -D -c -i >"$w/slurmctld.out" 2>&1 &
	pids="$pids $!"
	slurmd -D >"$w/slurmd.out" 2>&1 &
	pids="$pids $!"
	wait_for 60 node_idle
}

# The photo tree: the corpus photos when fetched, else testdata/ in
# several folders.
make_tree() {
	photos=${PTHUMB_CORPUS:-$top/build/corpus}/photos
	mkdir -p "$w/tree"
	if [ -d "$photos" ] && [ -n "$(ls "$photos" 2>/dev/null)" ]; then
		cp -r "$photos" "$w/tree/photos"
	fi
	for d in a b c d e f; do
		mkdir -p "$w/tree/$d"
		for f in "$top"/testdata/*.*; do
			cp "$f" "$w/tree/$d/"
		done
	done
}

# The task script. Task 3's first run takes its paths from a list that
# comes slowly (relative to the tree, so they name the same thumbnails as
# the walk) and is killed outright after its first thumbnail.
write_job() {
	cat >"$w/job.sh" <<'EOF'
#!/bin/sh
rec=$REC/task-$SLURM_ARRAY_TASK_ID-${SLURM_RESTART_COUNT:-0}.json
pthumb() { "$PTHUMB" --shard auto -j 1 --json -o "$OUT" "$@" >"$rec" 2>"$rec.err"; }
if [ "$SLURM_ARRAY_TASK_ID" = 3 ] && [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then
	cd "$TREE" || exit 1
	find . -type f | sed 's|^\./||' |
	while read -r f; do echo "$f"; sleep 0.1; done | pthumb - &
	until grep -q '"type": "file"' "$rec" 2>/dev/null; do sleep 0.02; done
	pkill -KILL -f "^$PTHUMB --shard auto -j 1 --json -o $OUT -\$" &&
		echo "$SLURM_JOB_ID" >"$REC/killed"
	wait
	exit 42
fi
pthumb "$TREE"
EOF
	chmod +x "$w/job.sh"
}

array_running() { squeue -h -j "$1" 2>/dev/null | grep -q .; }

# Wait for the array to finish; a requeued task is started at once.
run_array() {
	n=1200
	while array_running "$1"; do
		squeue -h -j "$1" -o '%i %r' 2>/dev/null |
		while read -r task reason; do
			[ "$reason" = BeginTime ] &&
				scontrol update JobId="$task" StartTime=now
		done
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# Each image, known by its thumbnail (task 3's first run named inputs by
# their paths in its list): made in exactly one task run, or found up to
# date; never made twice; and every image met.
check_records() {
	cat "$w"/rec/task-*.json | grep '"type": "file"' |
	sed -n 's/.*"output": "\([^"]*\)".*"status": "\([a-z]*\)".*/\2 \1/p' \
		>"$w/outcomes"
	made_twice=$(grep -E '^(ok|warning) ' "$w/outcomes" | cut -d' ' -f2- |
		sort | uniq -d)
	[ -z "$made_twice" ] || fail "made twice: $made_twice"
	grep -vE '^(ok|warning|skipped) ' "$w/outcomes" &&
		fail "the lines above are not made or up to date"
	met=$(cut -d' ' -f2- "$w/outcomes" | sort -u | wc -l)
	[ "$met" -eq "$images" ] || fail "$met of $images images in the records"
}

[ "$(id -u)" = 0 ] || skip "needs root to install and start Slurm"
[ -x "$pthumb" ] || { say "FAIL: build ./pthumb first"; exit 1; }
install_slurm || skip "cannot install slurmctld slurmd slurm-client munge"
w=$(mktemp -d /tmp/pthumb-integration.XXXXXX)
start_munge || skip "munged did not start"
write_conf || skip "slurmd -C describes no node"
start_slurm || skip "the Slurm node did not come up (see $w/slurmctld.log)"
say "Slurm $(sinfo -V | cut -d' ' -f2) is up: $(sinfo -h -o '%N %c CPUs %T')"

make_tree
write_job
mkdir -p "$w/rec" "$w/out"
images=$(find "$w/tree" -type f |
	grep -ciE '\.(jpe?g|png|webp|gif|tiff?|heic|heif|avif)$')
job=$(sbatch --parsable --array=1-7:2 --requeue --output="$w/rec/slurm-%a.out" \
	--export=ALL,PTHUMB="$pthumb",OUT="$w/out",TREE="$w/tree",REC="$w/rec" \
	"$w/job.sh") || fail "sbatch refused the array"
say "array job $job: tasks 1-7:2 over $images images"
run_array "$job" || fail "the array did not finish in 120 s"

[ -s "$w/rec/killed" ] || fail "task 3's first run was not killed"
grep -q '"type": "summary"' "$w/rec/task-3-0.json" &&
	fail "task 3's first run finished before it was killed"
[ -s "$w/rec/task-3-1.json" ] || fail "task 3 was not requeued"
for t in 1 3 5 7; do
	grep -q "\"shard_from\": \"SLURM_ARRAY_TASK_ID=$t of array 1-7:2\"" \
		"$w/rec/task-$t-"*.json || fail "task $t: no shard from Slurm"
done
say "task 3 killed partway, requeued, restarted: $(grep -c '"type": "file"' \
	"$w/rec/task-3-0.json") images in its first run, \
$(grep -c '"type": "file"' "$w/rec/task-3-1.json") in its second"
for f in "$w"/rec/task-*.json; do
	sum=$(grep '"type": "summary"' "$f" | sed 's/.*"done": \([0-9]*\).*"skipped": \([0-9]*\).*"shard": "\([0-9/]*\)".*/shard \3: \1 made, \2 up to date/')
	say "  $(basename "$f" .json): ${sum:-killed after $(grep -c '"type": "file"' "$f") images}"
done

thumbs=$(find "$w/out" -type f ! -name '.*' | wc -l)
tmps=$(find "$w/out" -name '.pthumb-*' | wc -l)
[ "$thumbs" -eq "$images" ] || fail "$thumbs thumbnails for $images images"
[ "$tmps" -eq 0 ] || fail "$tmps temporary files left"
check_records
say "$thumbs thumbnails for $images images, no temporary file, none made twice"

# An array with gaps has no even split: --shard auto refuses it.
job=$(sbatch --parsable --array=1,2,5 --output="$w/rec/gaps-%a.out" \
	--wrap "$pthumb --shard auto -n -o $w/out $w/tree") ||
	fail "sbatch refused the array with gaps"
run_array "$job" || fail "the array with gaps did not finish in 120 s"
for t in 1 2 5; do
	grep -q "not an even range" "$w/rec/gaps-$t.out" ||
		fail "task $t of --array=1,2,5 was not refused: $(cat "$w/rec/gaps-$t.out")"
done
say "--array=1,2,5 refused: $(head -n 1 "$w/rec/gaps-1.out")"
say "PASS"

#!/bin/bash
# make bench: pthumb side by side with the tools its users would otherwise
# use, on the same files, in the same run, with the same box. pthumb and
# the Python reference blur (sigma 2, source pixels); the others do not.
#
# Workloads: (a) the corpus photos to a 256 px box; (b) the same photos to
# 50x50, the Python lesson's job; (c) 2,000 small JPEGs (under 64 KB, 39
# pictures copied over), where per-file overhead dominates; (d) photo-sized
# PNG, WebP and TIFF files (no HEIF: Pillow, sharp's libvips and
# GraphicsMagick cannot read it, and every tool gets the same files); (e)
# 1,000 small JPEGs of 320-640 px cut from the photos (make_small.py), as a
# web folder holds them; (m) memory and scale: a worker over 500 images, a
# tree of 100,000 files (tests/bench/memory.py); (r) what thumbnail records
# cost, against the pthumb of commit BASELINE (below), the last before them
# (tests/bench/records.py: needs the repository's history). pthumb also runs with
# -b 0 on (a) and (e), to show what the blur costs. Each figure is the median of BENCH_RUNS (default 3) timed
# runs after one warm-up; peak memory is the largest resident set of any
# one process of the run. Results: tests/bench/results/latest.md and
# bench.png (gnuplot), memory.md for (m), and the same on standard output.
#
# Environment: BENCH_JOBS (default: online CPUs), BENCH_RUNS,
# BENCH_WORKLOADS (default "a b c d e m r"), PTHUMB_CORPUS (a folder holding
# photos/, as the tests use).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/bench
B=$top/build/bench
R=$here/results
N=${BENCH_JOBS:-$(nproc)}
RUNS=${BENCH_RUNS:-3}
WORKLOADS=${BENCH_WORKLOADS:-a b c d e m r}
# The last commit whose freshness was one stat of modification times.
BASELINE=430dcba
PY=/usr/bin/python3
mkdir -p "$B" "$R"

say() { printf 'bench: %s\n' "$*" >&2; }

# --- peers ------------------------------------------------------------------
need=()
[ -x "$PY" ] && "$PY" -c 'import PIL' 2>/dev/null || need+=(python3-pil)
command -v vipsthumbnail >/dev/null || need+=(libvips-tools)
command -v parallel >/dev/null || need+=(parallel)
[ -x /usr/bin/mogrify ] || need+=(imagemagick)
command -v gm >/dev/null || need+=(graphicsmagick)
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
[ -x /usr/bin/time ] || need+=(time)
[ -f /usr/include/jpeglib.h ] || need+=(libjpeg62-turbo-dev)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "make bench needs: sudo apt-get install ${need[*]}" >&2
		exit 1
	fi
	say "installing ${need[*]}"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${need[@]}" >/dev/null
fi
# Pinned: the same sharp on every machine, and the newest that still runs
# on Debian bookworm's Node.js 18 (0.35 needs Node.js 20).
SHARP=0.34.5
if ! grep -qs "\"version\": \"$SHARP\"" "$B/node/node_modules/sharp/package.json"; then
	say "installing sharp $SHARP into $B/node"
	npm install --silent --prefix "$B/node" "sharp@$SHARP" >/dev/null
fi
SHARP_VERSION=$(NODE_PATH=$B/node/node_modules node -e \
	'const s=require("sharp"); console.log(s.versions.sharp + " (libvips " + s.versions.vips + ")")')
cc -O2 -o "$B/floor" "$here/floor.c" -ljpeg
make -s -C "$top" pthumb >/dev/null

# --- inputs -----------------------------------------------------------------
photos=${PTHUMB_CORPUS:+$PTHUMB_CORPUS/photos}
[ -n "$photos" ] && [ -d "$photos" ] || photos=$top/../shared/corpus/data/photos
if [ ! -d "$photos" ]; then
	say "fetching the corpus photos"
	bash "$top/../shared/corpus/get-photos.sh" "$B/corpus" >/dev/null
	photos=$B/corpus/photos
fi
mapfile -t PHOTOS < <(ls "$photos"/*.jpg)
if [ ! -f "$B/small/.done" ]; then
	say "making 2000 small JPEGs"
	rm -rf "$B/small" && mkdir -p "$B/small"
	for f in "${PHOTOS[@]}"; do
		vips thumbnail "$f" "$B/small/$(basename "$f" .jpg)-0.jpg[Q=85,strip]" 480
	done
	i=0
	while [ "$(ls "$B/small" | wc -l)" -lt 2000 ]; do
		for f in "$B"/small/*-0.jpg; do
			[ "$(ls "$B/small" | wc -l)" -lt 2000 ] || break
			i=$((i + 1))
			cp "$f" "${f%-0.jpg}-$i.jpg"
		done
	done
	touch "$B/small/.done"
fi
if [ ! -f "$B/mixed/.done" ]; then
	say "making photo-sized PNG, WebP and TIFF files"
	rm -rf "$B/mixed" && mkdir -p "$B/mixed"
	for f in "${PHOTOS[@]:0:6}"; do
		s=$(basename "$f" .jpg)
		vips thumbnail "$f" "$B/mixed/$s.v" 3000
		# Stems differ by format, so JPEG outputs do not collide.
		vips copy "$B/mixed/$s.v" "$B/mixed/$s-png.png"
		vips copy "$B/mixed/$s.v" "$B/mixed/$s-webp.webp[Q=90]"
		vips copy "$B/mixed/$s.v" "$B/mixed/$s-tif.tif[compression=deflate]"
		rm "$B/mixed/$s.v"
	done
	touch "$B/mixed/.done"
fi
if [ ! -f "$B/smallweb/.done" ]; then
	say "cutting 1000 small JPEGs from the photos"
	rm -rf "$B/smallweb"
	"$PY" "$here/make_small.py" "$B/smallweb" 1000 "${PHOTOS[@]}" >/dev/null
	touch "$B/smallweb/.done"
fi

# --- timing -----------------------------------------------------------------
# time_cmd OUT CMD: one run in a fresh OUT; sets WALL (s) and RSS (KiB).
time_cmd() {
	local out=$1
	shift
	rm -rf "$out" && mkdir -p "$out"
	/usr/bin/time -f '%e %M' -o "$B/time.txt" bash -c "$*" \
		>"$B/last.log" 2>&1 || {
		say "failed: $*"
		tail -5 "$B/last.log" >&2
		return 1
	}
	read -r WALL RSS <"$B/time.txt"
}

# bench WORKLOAD TOOL COUNT CMD: warm-up, RUNS runs, one result row.
bench() {
	local w=$1 tool=$2 count=$3 out=$B/out/$1
	shift 3
	local walls=() rss=0
	if ! time_cmd "$out" "$@"; then
		echo "$w|$tool|$count|failed|0" >>"$B/rows"
		return 0
	fi
	for ((k = 0; k < RUNS; k++)); do
		time_cmd "$out" "$@" || return 0
		walls+=("$WALL")
		[ "$RSS" -gt "$rss" ] && rss=$RSS
	done
	local median
	median=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	say "$w $tool: median $median s of ${walls[*]}, peak $((rss / 1024)) MiB"
	echo "$w|$tool|$count|$median|$rss" >>"$B/rows"
}

# run_workload NAME BOX BLUR FORMAT(same|jpg) FILE...
run_workload() {
	local w=$1 box=$2 blur=$3 fmt=$4
	shift 4
	local files=("$@") n=$#
	local list=$B/list-$w out=$B/out/$w
	printf '%s\n' "${files[@]}" >"$list"
	local pf=() ext='%s.jpg'
	[ "$fmt" = jpg ] && pf=(-f jpg)
	local dir
	dir=$(dirname "${files[0]}")
	bench "$w" "pthumb -j $N" "$n" "'$top/pthumb' -q -j $N -s $box -b $blur ${pf[*]} --force -o '$out' --files-from '$list'"
	if [ "$w" = a ] || [ "$w" = e ]; then
		bench "$w" "pthumb -j $N -b 0" "$n" "'$top/pthumb' -q -j $N -s $box -b 0 ${pf[*]} --force -o '$out' --files-from '$list'"
	fi
	bench "$w" "pthumb --sequential" "$n" "'$top/pthumb' -q --sequential -s $box -b $blur ${pf[*]} --force -o '$out' --files-from '$list'"
	if [ "$w" = b ]; then
		bench "$w" "pthumb --exact -j $N" "$n" "'$top/pthumb' -q --exact -j $N -s $box -b $blur --force -o '$out' --files-from '$list'"
	fi
	bench "$w" "Pillow pool $N" "$n" "'$PY' '$here/pillow_ref.py' pool $N '$out' $box $blur $fmt \$(cat '$list')"
	bench "$w" "Pillow loop" "$n" "'$PY' '$here/pillow_ref.py' loop 1 '$out' $box $blur $fmt \$(cat '$list')"
	bench "$w" "vipsthumbnail + parallel" "$n" "VIPS_CONCURRENCY=1 parallel -j $N -X vipsthumbnail -s $box -o '$out/$ext' <'$list'"
	bench "$w" "sharp" "$n" "NODE_PATH='$B/node/node_modules' UV_THREADPOOL_SIZE=$N node '$here/sharp_ref.js' $N '$out' $box $fmt \$(cat '$list')"
	local mfmt=()
	[ "$fmt" = jpg ] && mfmt=(-format jpg)
	bench "$w" "ImageMagick mogrify" "$n" "MAGICK_THREAD_LIMIT=1 parallel -j $N -X mogrify -path '$out' ${mfmt[*]} -define jpeg:size=$((2 * box))x$((2 * box)) -thumbnail ${box}x$box <'$list'"
	# gm mogrify appends each input's path to -output-directory: run it
	# in the inputs' folder on bare names.
	bench "$w" "GraphicsMagick gm" "$n" "cd '$dir' && sed 's|.*/||' '$list' | OMP_NUM_THREADS=1 parallel -j $N -X gm mogrify -output-directory '$out' ${mfmt[*]} -size $((2 * box))x$((2 * box)) -thumbnail ${box}x$box"
	if [ "$fmt" = same ]; then
		bench "$w" "decode floor" "$n" "'$B/floor' $N \$(cat '$list')"
	fi
}

rm -f "$B/rows"
for w in $WORKLOADS; do
	case $w in
	a) run_workload a 256 2 same "${PHOTOS[@]}" ;;
	b) run_workload b 50 2 same "${PHOTOS[@]}" ;;
	c) mapfile -t SMALL < <(ls "$B"/small/*.jpg)
	   run_workload c 256 2 same "${SMALL[@]}" ;;
	d) mapfile -t MIXED < <(ls "$B"/mixed/*.{png,webp,tif})
	   run_workload d 256 2 jpg "${MIXED[@]}" ;;
	e) mapfile -t WEB < <(ls "$B"/smallweb/*.jpg)
	   run_workload e 256 2 same "${WEB[@]}" ;;
	esac
done

# --- report -----------------------------------------------------------------
if [ -f "$B/rows" ]; then
	"$PY" "$here/report.py" "$B/rows" "$R" "$N" "$RUNS" "$SHARP_VERSION"
fi
# m: a worker's memory over 500 images, a 100,000-file tree.
case " $WORKLOADS " in
*" m "*) "$PY" "$here/memory.py" "$top/pthumb" "$photos" "$B/memory" |
	tee "$R/memory.md" ;;
esac
# r: records against the baseline, built from the repository's history.
case " $WORKLOADS " in
*" r "*)
	if [ ! -x "$B/baseline/pthumb" ] ||
		[ "$(cat "$B/baseline/.commit" 2>/dev/null)" != "$BASELINE" ]; then
		rm -rf "$B/baseline" && mkdir -p "$B/baseline"
		git -C "$top" archive "$BASELINE" | tar -x -C "$B/baseline" &&
			make -s -C "$B/baseline" pthumb >/dev/null &&
			echo "$BASELINE" >"$B/baseline/.commit" ||
			say "r: cannot build commit $BASELINE; skipped"
	fi
	if [ -f "$B/baseline/.commit" ]; then
		"$PY" "$here/records.py" "$top/pthumb" "$B/baseline/pthumb" \
			"$B/records" "$B/smallweb" "$N" "${BENCH_RECORD_ROUNDS:-9}" |
			tee "$R/records.md"
	fi ;;
esac

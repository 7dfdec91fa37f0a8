"""What thumbnail records cost, for `make bench` (figures, not pass/fail).
pthumb is timed against BASELINE, the pthumb built from the last commit
before records (freshness was one stat of modification times), in
alternating rounds of the same command, and each figure is the median of
the rounds; a ratio is the median of the rounds' own ratios.

1. The skip path: a re-run over 100,000 up-to-date thumbnails (100
   folders of 1,000 names of one small JPEG, as memory.py makes them),
   which reads each thumbnail's record instead of its mtime.
2. Making thumbnails: the small-JPEG folder given (workload e's) into an
   empty folder each time, where writing the record is a share of each
   thumbnail's cost.
3. What --fsync costs on that same job (pthumb against itself).

    records.py PTHUMB BASELINE SCRATCH_DIR SMALL_DIR JOBS ROUNDS
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from memory import make_tree


# glibc's sliding mmap threshold makes the page faults of one binary on one
# job vary threefold from run to run (25,000 to 109,000 on these small
# JPEGs, 0.5 to 1 s of 5), which swamps a difference of a few percent.
# Where a few percent is measured, both sides run with the same fixed
# thresholds (about 3,000 faults each time).
STEADY_MALLOC = dict(os.environ, GLIBC_TUNABLES="glibc.malloc.mmap_threshold="
                     "33554432:glibc.malloc.trim_threshold=134217728")


def timed(cmd, env=None):
    """Wall seconds and the JSON summary of one run."""
    start = time.monotonic()
    run = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False,
                         env=env)
    wall = time.monotonic() - start
    return wall, json.loads(run.stdout.strip().splitlines()[-1])


def alternate(rounds, new_cmd, old_cmd, expect, fresh=None, env=None):
    """Medians of the new and old command's times, and of their ratios;
    every run's summary must show expect (field: value). fresh: a folder
    removed before each run; env: both commands' environment."""
    new, old = [], []
    for _ in range(rounds):
        for cmd, walls in ((old_cmd, old), (new_cmd, new)):
            if fresh is not None:
                shutil.rmtree(fresh, ignore_errors=True)
            wall, summary = timed(cmd, env)
            for key, value in expect.items():
                if summary.get(key) != value:
                    sys.exit(f"records.py: {cmd[0]}: {key} is "
                             f"{summary.get(key)}, expected {value}")
            walls.append(wall)
    ratios = [n / o for n, o in zip(new, old)]
    return (statistics.median(new), statistics.median(old),
            statistics.median(ratios))


def main():
    pthumb, baseline, scratch, small, jobs, rounds = sys.argv[1:7]
    rounds = int(rounds)
    os.makedirs(scratch, exist_ok=True)
    tree = os.path.join(scratch, "tree")
    out = os.path.join(scratch, "tree-out")
    shutil.rmtree(out, ignore_errors=True)
    make_tree(tree, os.path.join(scratch, "seed.jpg"))
    base = ["--json", "-q", "-j", jobs]
    skip = base + ["-s", "16", "-b", "0", "-o", out, tree]
    if timed([pthumb] + skip)[1].get("done") != 100000:
        sys.exit("records.py: the first run did not make 100,000 thumbnails")
    new, old, ratio = alternate(rounds, [pthumb] + skip, [baseline] + skip,
                                {"skipped": 100000, "done": 0})
    print("## What records cost\n")
    print(f"Re-run over 100,000 up-to-date thumbnails (-j {jobs}): "
          f"{new:.2f} s with records against {old:.2f} s for the stat-only "
          f"skip before them: {ratio:.2f}x (medians of {rounds} alternating "
          f"rounds).\n")
    shutil.rmtree(tree, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)

    files = sorted(os.path.join(small, f) for f in os.listdir(small)
                   if f.endswith(".jpg"))
    listing = os.path.join(scratch, "small-list")
    with open(listing, "w") as f:
        f.write("".join(p + "\n" for p in files))
    made = os.path.join(scratch, "s")
    make = base + ["-s", "256", "-o", made, "--files-from", listing]
    new, old, ratio = alternate(rounds, [pthumb] + make, [baseline] + make,
                                {"done": len(files), "failed": 0}, made,
                                STEADY_MALLOC)
    print(f"{len(files)} small JPEGs to 256 px (-j {jobs}, into an empty "
          "folder): "
          f"{new:.2f} s with records against {old:.2f} s before them: "
          f"{ratio:.3f}x, {1000 * (new - old) / len(files):+.2f} ms of wall "
          f"time per thumbnail (medians of {rounds} alternating rounds, "
          "both with the same fixed malloc thresholds).\n")

    synced = base + ["--fsync", "-s", "256", "-o", made, "--files-from",
                     listing]
    new, old, ratio = alternate(rounds, [pthumb] + synced, [pthumb] + make,
                                {"done": len(files), "failed": 0}, made,
                                STEADY_MALLOC)
    print(f"The same with --fsync (each thumbnail and its folder flushed): "
          f"{new:.2f} s against {old:.2f} s without: {ratio:.3f}x, "
          f"{1000 * (new - old) / len(files):+.2f} ms of wall time per "
          f"thumbnail (medians of {rounds} alternating rounds).\n")
    shutil.rmtree(made, ignore_errors=True)


if __name__ == "__main__":
    main()

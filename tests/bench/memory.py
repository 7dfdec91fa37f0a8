"""Memory and scale checks for `make bench` (figures, not pass/fail):

1. A worker's memory over a long run: 520 photos (the corpus photos under
   distinct names) through one worker; its resident set around the 50th
   and the 500th image (medians of the readings after images 40-60 and
   490-510), its peak, and the image by which it settled. The resident set
   rises in steps as glibc's heap grows and then stays put; where the last
   step falls varies from run to run (images 37, 76 and 232 in three runs
   of the same command), so a run can read higher at 500 than at 50
   without growing after that.
2. A tree of 100,000 small files (100 folders of 1,000 hard links to a
   small JPEG): the parent's peak memory, when the first thumbnail was done
   against when the scan ended, and then a re-run over the same, now up to
   date, tree: its time and the parent's memory.

    memory.py PTHUMB PHOTOS_DIR SCRATCH_DIR
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def worker_flatness(pthumb, photos, scratch):
    many = os.path.join(scratch, "many")
    out = os.path.join(scratch, "many-out")
    shutil.rmtree(many, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(many)
    names = sorted(f for f in os.listdir(photos) if f.endswith(".jpg"))
    for i in range(520):
        src = os.path.join(photos, names[i % len(names)])
        os.symlink(src, os.path.join(many, f"{i:04d}-{names[i % len(names)]}"))
    proc = subprocess.Popen([pthumb, "--json", "-j", "1", "-s", "256",
                             "-o", out, many], stdout=subprocess.PIPE,
                            text=True)
    readings, peak = [], None
    worker = None
    for line in proc.stdout:
        rec = json.loads(line)
        if rec.get("type") != "file":
            continue
        worker = rec.get("worker") or worker
        readings.append(status_kb(worker, "VmRSS") if worker else None)
        if len(readings) == 510 and worker:
            peak = status_kb(worker, "VmHWM")
    proc.wait()
    shutil.rmtree(many, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    if peak is None or None in readings[:510]:
        return None
    rss50 = statistics.median(readings[39:60])
    rss500 = statistics.median(readings[489:510])
    # The first image from which every reading up to 510 stays within 2%
    # of the level around image 500.
    settled = 510
    while settled > 1 and abs(readings[settled - 2] - rss500) <= 0.02 * rss500:
        settled -= 1
    return rss50, rss500, peak, settled


def make_tree(tree, seed):
    """100 folders of 1,000 names for one small black JPEG each."""
    shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(tree)
    subprocess.run(["vips", "black", seed + "[Q=90]", "32", "24"], check=True)
    for d in range(100):
        folder = os.path.join(tree, f"d{d:03d}")
        os.makedirs(folder)
        # One copy per folder: file systems cap the links to one inode.
        first = os.path.join(folder, "img0000.jpg")
        shutil.copyfile(seed, first)
        for i in range(1, 1000):
            os.link(first, os.path.join(folder, f"img{i:04d}.jpg"))


def tree_scale(pthumb, scratch):
    tree = os.path.join(scratch, "tree")
    out = os.path.join(scratch, "tree-out")
    seed = os.path.join(scratch, "seed.jpg")
    shutil.rmtree(out, ignore_errors=True)
    make_tree(tree, seed)
    results = {}
    for label in ("first run", "re-run, all up to date",
                  "resumed with half the thumbnails lost"):
        if label.startswith("resumed"):
            # As if the first run had stopped half way: every other
            # folder's thumbnails gone.
            for d in range(0, 100, 2):
                shutil.rmtree(os.path.join(out, f"d{d:03d}"))
        start = time.monotonic()
        run = subprocess.run([pthumb, "--json", "-q", "-s", "16", "-b", "0",
                              "-o", out, tree], stdout=subprocess.PIPE,
                             text=True, check=False)
        wall = time.monotonic() - start
        summary = json.loads(run.stdout.strip().splitlines()[-1])
        results[label] = (wall, summary)
    shutil.rmtree(tree, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    os.remove(seed)
    return results


def main():
    pthumb, photos, scratch = sys.argv[1:4]
    os.makedirs(scratch, exist_ok=True)
    print("## Memory and scale\n")
    flat = worker_flatness(pthumb, photos, scratch)
    if flat is not None:
        rss50, rss500, peak, settled = flat
        print(f"One worker over 520 photos (box 256): resident "
              f"{rss50 / 1024:.0f} MiB around image 50, {rss500 / 1024:.0f} "
              f"MiB around image 500 ({100 * (rss500 - rss50) / rss50:+.0f}%; "
              f"medians of 21 readings), within 2% of that level from image "
              f"{settled} on; peak {peak / 1024:.0f} MiB.\n")
    runs = tree_scale(pthumb, scratch)
    first = runs["first run"][0]
    for label, (wall, s) in runs.items():
        print(f"100,000 small files, {label}: {wall:.1f} s, "
              f"{wall / first:.3f}x the first run's time "
              f"({s['done']} done, {s['skipped']} skipped, {s['failed']} "
              f"failed); parent peak {s['parent_max_rss_kb'] / 1024:.0f} MiB; "
              f"first thumbnail at {s['first_done_seconds']:.2f} s, scan "
              f"ended at {s['scan_seconds']:.2f} s.\n")


if __name__ == "__main__":
    main()

"""Turns make bench's raw rows into the results: a Markdown table per
workload (tests/bench/results/latest.md), a bar chart drawn with gnuplot
(results/bench.png: each peer's speed relative to pthumb's, per workload,
on a linear axis), and the same tables on standard output.

    report.py ROWS RESULTS_DIR JOBS RUNS SHARP_VERSION
"""
import datetime
import os
import platform
import subprocess
import sys

TITLES = {
    "a": "(a) photos to a 256 px box, blur 2",
    "b": "(b) the reference job: photos to 50x50, blur 2",
    "c": "(c) 2,000 small JPEGs to 256 px, blur 2",
    "d": "(d) photo-sized PNG, WebP, TIFF to 256 px JPEG, blur 2",
    "e": "(e) 1,000 small JPEGs (320-640 px, cut from the photos) to 256 px, "
         "blur 2",
}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    rows_path, out_dir, jobs, runs, sharp = sys.argv[1:6]
    rows = []
    with open(rows_path) as f:
        for line in f:
            w, tool, count, median, rss = line.rstrip("\n").split("|")
            rows.append((w, tool, int(count),
                         None if median == "failed" else float(median),
                         int(rss)))
    lines = [
        "# make bench",
        "",
        f"{datetime.date.today()}, {os.cpu_count()} CPUs ({cpu_model()}), "
        f"{jobs} processes per tool, median of {runs} runs after a warm-up; "
        f"sharp {sharp}. pthumb and Pillow blur (sigma 2 in source pixels); "
        "the other tools do not. *vs pthumb*: the tool's images per second "
        f"over `pthumb -j {jobs}`'s (below 1: slower than pthumb). Every tool "
        "gets the same files. *Peak MiB*: the largest "
        "resident set of any one process of the run.",
        "",
    ]
    chart = []
    for w in sorted({r[0] for r in rows}):
        ws = [r for r in rows if r[0] == w]
        ref = next((r[2] / r[3] for r in ws
                    if r[1].startswith("pthumb -j") and r[3]), None)
        lines += [f"## {TITLES.get(w, w)}", "",
                  "| tool | images/s | vs pthumb | peak MiB |",
                  "|---|---:|---:|---:|"]
        for _, tool, count, median, rss in ws:
            if median is None:
                lines.append(f"| {tool} | failed | | |")
                continue
            rate = count / median
            ratio = rate / ref if ref else float("nan")
            lines.append(f"| {tool} | {rate:.1f} | {ratio:.2f} | "
                         f"{rss / 1024:.0f} |")
            if ref and not tool.startswith("pthumb") and tool != "decode floor":
                chart.append((w, tool, ratio))
        lines.append("")
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(out_dir, "latest.md"), "w") as f:
        f.write(text)

    data = os.path.join(out_dir, "bench.dat")
    tools = []
    for _, tool, _ in chart:
        if tool not in tools:
            tools.append(tool)
    workloads = sorted({c[0] for c in chart})
    with open(data, "w") as f:
        f.write("workload " + " ".join(f'"{t}"' for t in tools) + "\n")
        for w in workloads:
            vals = {t: r for ww, t, r in chart if ww == w}
            f.write(f'"{w}" ' + " ".join(
                f"{vals[t]:.2f}" if t in vals else "NaN" for t in tools)
                + "\n")
    colours = ["#1b5e20", "#66bb6a", "#a5d6a7", "#1565c0", "#64b5f6",
               "#f9a825", "#fff176", "#c62828", "#ef9a9a", "#6d4c41",
               "#9e9e9e", "#000000"]
    styles = "\n".join(f'set linetype {i + 1} lc rgb "{c}"'
                       for i, c in enumerate(colours))
    script = f"""
set terminal pngcairo size 1100,560 font ",10"
{styles}
set output "{os.path.join(out_dir, 'bench.png')}"
set title "each tool's speed relative to pthumb -j {jobs} (1 = as fast; below 1: slower), {jobs} processes each"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set yrange [0:*]
set grid ytics
set key outside right top vertical
set xlabel "workload: (a) photos 256 px  (b) photos 50 px  (c) 2,000 small  (d) PNG/WebP/TIFF  (e) 1,000 small web JPEGs"
plot for [i=2:{len(tools) + 1}] "{data}" using i:xtic(1) title columnheader(i), 1 with lines lw 2 lc rgb "#1b5e20" title "pthumb"
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.remove(data)


if __name__ == "__main__":
    main()

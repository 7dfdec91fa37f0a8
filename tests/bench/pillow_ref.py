"""The Python reference pthumb's users come from, for `make bench`:
Image.open, filter(GaussianBlur(radius)), thumbnail((w, h)), save into
the output folder, once as a plain loop and once with a
ProcessPoolExecutor.

    pillow_ref.py loop|pool N OUTDIR BOX BLUR FILE...
"""
import os
import sys
from concurrent.futures import ProcessPoolExecutor

from PIL import Image, ImageFilter


def thumbnail(args):
    path, outdir, box, blur = args
    with Image.open(path) as img:
        if blur > 0:
            img = img.filter(ImageFilter.GaussianBlur(blur))
        img.thumbnail((box, box))
        img.save(os.path.join(outdir, os.path.basename(path)))
    return path


def main():
    mode, n, outdir, box, blur = sys.argv[1:6]
    files = sys.argv[6:]
    jobs = [(f, outdir, int(box), float(blur)) for f in files]
    if mode == "loop":
        for job in jobs:
            thumbnail(job)
    else:
        with ProcessPoolExecutor(max_workers=int(n)) as pool:
            for _ in pool.map(thumbnail, jobs, chunksize=1):
                pass


if __name__ == "__main__":
    main()

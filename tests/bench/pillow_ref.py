"""The Python reference pthumb's users come from, for `make bench`:
Image.open, filter(GaussianBlur(radius)), thumbnail((w, h)), save into
the output folder, once as a plain loop and once with a
ProcessPoolExecutor.

    pillow_ref.py loop|pool N OUTDIR BOX BLUR FORMAT FILE...

FORMAT is "same" (the input's) or a suffix such as "jpg".
"""
import os
import sys
from concurrent.futures import ProcessPoolExecutor

from PIL import Image, ImageFilter


def thumbnail(args):
    path, outdir, box, blur, fmt = args
    name = os.path.basename(path)
    if fmt != "same":
        name = os.path.splitext(name)[0] + "." + fmt
    with Image.open(path) as img:
        if blur > 0:
            img = img.filter(ImageFilter.GaussianBlur(blur))
        img.thumbnail((box, box))
        img.save(os.path.join(outdir, name))
    return path


def main():
    mode, n, outdir, box, blur, fmt = sys.argv[1:7]
    files = sys.argv[7:]
    jobs = [(f, outdir, int(box), float(blur), fmt) for f in files]
    if mode == "loop":
        for job in jobs:
            thumbnail(job)
    else:
        with ProcessPoolExecutor(max_workers=int(n)) as pool:
            for _ in pool.map(thumbnail, jobs, chunksize=1):
                pass


if __name__ == "__main__":
    main()

"""Small JPEGs cut from photos, as a web folder holds them.

usage: make_small.py OUT COUNT PHOTO...

Each photo is scaled to a width of 640-1600 pixels, then pieces of 320-640
pixels wide (landscape, square and portrait) are cut from it and saved at
quality 85, with the photo's ICC profile when it has one. The sizes and
places come from a fixed seed: the same files on every machine.
"""
import os
import random
import sys

from PIL import Image

out, count, photos = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rng = random.Random(2026)
os.makedirs(out, exist_ok=True)
per_photo = -(-count // len(photos))
made = 0
for path in photos:
    with Image.open(path) as im:
        icc = im.info.get("icc_profile")
        im.draft("RGB", (1600, 1600))
        im = im.convert("RGB")
        stem = os.path.splitext(os.path.basename(path))[0]
        for k in range(per_photo):
            if made == count:
                break
            scaled_w = rng.randint(640, 1600)
            scaled = im.resize((scaled_w, max(1, im.height * scaled_w // im.width)),
                               Image.LANCZOS)
            w = rng.randint(320, 640)
            h = int(w * rng.choice([2 / 3, 3 / 4, 1, 4 / 3, 3 / 2]))
            w, h = min(w, scaled.width), min(h, scaled.height)
            x = rng.randint(0, scaled.width - w)
            y = rng.randint(0, scaled.height - h)
            piece = scaled.crop((x, y, x + w, y + h))
            extra = {"icc_profile": icc} if icc else {}
            piece.save(os.path.join(out, f"{stem}-{k:03d}.jpg"), quality=85,
                       **extra)
            made += 1
print(f"{made} small JPEGs in {out}")

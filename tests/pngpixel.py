#!/usr/bin/python3
"""Print the colours of some pixels of a PNG (or binary PPM) screendump.

    pngpixel.py FILE X,Y [X,Y...]
    -> rrggbb per point, one line, space separated

X and Y may be fractions of the width and height instead (0.5,0.5 is the
centre).  Uses pngstat.py's decoder (stdlib only).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pngstat  # noqa: E402


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    if data[:2] == b"P6":
        width, height, bpp, ncol, rows = pngstat.read_ppm(data)
    else:
        width, height, bpp, ncol, rows = pngstat.read_png(data)
    out = []
    for arg in sys.argv[2:]:
        xs, ys = arg.split(",")
        x = float(xs) * (width if "." in xs else 1)
        y = float(ys) * (height if "." in ys else 1)
        x, y = min(int(x), width - 1), min(int(y), height - 1)
        px = rows[y][x * bpp:x * bpp + ncol]
        out.append((px * 3 if ncol == 1 else px).hex())
    print(" ".join(out))


if __name__ == "__main__":
    main()

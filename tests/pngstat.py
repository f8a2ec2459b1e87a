#!/usr/bin/python3
"""Print size and pixel statistics of a PNG (or binary PPM) screendump.

    pngstat.py [--hues] FILE
    -> width=1280 height=800 colours=3 background=000000 nonbg=12345 nonblack=12345

background is the most common colour; nonbg counts the pixels of any other
colour, nonblack the pixels that are not pure black.  --hues adds
"hues=red:N,yellow:N,green:N,cyan:N,blue:N,magenta:N": the number of
saturated pixels (brightest minus darkest channel at least 64) in each
sixth of the colour wheel, centred on the colour it is named after; grey,
white and black pixels count in none.  Stdlib only: 8-bit, non-interlaced
PNGs of colour type 0 (grey), 2 (RGB), 4 (grey+alpha), 6 (RGBA).
"""
import collections
import struct
import sys
import zlib

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + chunk) != crc:
            raise ValueError(f"bad CRC in {ctype!r} chunk")
        pos += 12 + length
        if ctype == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", chunk)
        elif ctype == b"IDAT":
            idat.append(chunk)
        elif ctype == b"IEND":
            break
    if hdr is None or not idat:
        raise ValueError("missing IHDR or IDAT")
    width, height, depth, colour, _, _, interlace = hdr
    if depth != 8 or colour not in CHANNELS or interlace:
        raise ValueError(f"unsupported PNG: depth {depth} colour {colour} "
                         f"interlace {interlace}")
    bpp = CHANNELS[colour]
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    if len(raw) != height * (stride + 1):
        raise ValueError("bad image data size")
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 0xFF
        elif f == 2:
            row = bytearray((a + b) & 0xFF for a, b in zip(row, prev))
        elif f == 3:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif f == 4:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                upleft = prev[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + paeth(left, prev[i], upleft)) & 0xFF
        elif f != 0:
            raise ValueError(f"bad filter type {f}")
        rows.append(bytes(row))
        prev = row
    # Colour part of each pixel only (drop alpha).
    ncol = 3 if colour in (2, 6) else 1
    return width, height, bpp, ncol, rows


def read_ppm(data):
    fields, pos = [], 2
    while len(fields) < 3:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(int(data[pos:end]))
        pos = end
    width, height, maxval = fields
    if maxval != 255:
        raise ValueError("unsupported PPM maxval")
    pix = data[pos + 1:]
    stride = width * 3
    rows = [pix[y * stride:(y + 1) * stride] for y in range(height)]
    return width, height, 3, 3, rows


HUES = ("red", "yellow", "green", "cyan", "blue", "magenta")


def hue_sector(rgb):
    """The HUES index of a saturated colour, None for a greyish one."""
    r, g, b = rgb
    hi, lo = max(r, g, b), min(r, g, b)
    if hi - lo < 64:
        return None
    d = hi - lo
    if hi == r:
        h = ((g - b) / d) % 6
    elif hi == g:
        h = (b - r) / d + 2
    else:
        h = (r - g) / d + 4
    return int((h + 0.5) % 6)          # sector k is centred on hue k * 60


def stats(path, hues=False):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"P6":
        width, height, bpp, ncol, rows = read_ppm(data)
    else:
        width, height, bpp, ncol, rows = read_png(data)
    count = collections.Counter()
    for row in rows:
        count.update(row[i:i + ncol] for i in range(0, len(row), bpp))
    bg, nbg = count.most_common(1)[0]
    black = bytes(ncol)
    st = {
        "width": width, "height": height, "colours": len(count),
        "background": (bg * 3 if ncol == 1 else bg).hex(),
        "nonbg": width * height - nbg,
        "nonblack": width * height - count.get(black, 0),
    }
    if hues:
        per = [0] * len(HUES)
        if ncol == 3:
            for colour, n in count.items():
                k = hue_sector(colour)
                if k is not None:
                    per[k] += n
        st["hues"] = ",".join(f"{name}:{n}" for name, n in zip(HUES, per))
    return st


def main():
    args = sys.argv[1:]
    hues = bool(args) and args[0] == "--hues"
    if hues:
        args = args[1:]
    if len(args) != 1:
        sys.exit(__doc__.strip())
    try:
        st = stats(args[0], hues)
    except (OSError, ValueError, zlib.error, struct.error, IndexError) as e:
        sys.exit(f"pngstat.py: {args[0]}: {e}")
    print(" ".join(f"{k}={v}" for k, v in st.items()))


if __name__ == "__main__":
    main()

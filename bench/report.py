#!/usr/bin/python3
"""Turn a bench results directory into report.md and PNG plots.

    report.py RESULTS_DIR

Reads RESULTS_DIR/raw.tsv (bench, contender, config, metric, value, unit)
and RESULTS_DIR/meta.txt (key=value), writes RESULTS_DIR/report.md and
RESULTS_DIR/*.png.  Ratios are always taken between numbers of the same
run, pair by pair.
"""
import csv
import os
import sys
from collections import OrderedDict

CONTENDERS = ["ours", "upstream", "stock"]
NAMES = {
    "ours": "ours (7.2.22 + series)",
    "upstream": "upstream 10.2.2 (Debian)",
    "stock": "stock 7.2.22 (Debian)",
}
DISPLAYS = {
    "none": "-display none",
    "gtk-gl": "-display gtk,gl=on (Xvfb)",
}


def load(res):
    rows = []
    with open(os.path.join(res, "raw.tsv")) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            try:
                r["value"] = float(r["value"])
            except (TypeError, ValueError):
                continue
            rows.append(r)
    meta = OrderedDict()
    path = os.path.join(res, "meta.txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    meta[k] = v
    return rows, meta


def get(rows, bench, contender, config, metric):
    for r in rows:
        if (r["bench"], r["contender"], r["config"], r["metric"]) == \
                (bench, contender, config, metric):
            return r["value"]
    return None


def configs(rows, bench):
    seen = OrderedDict()
    for r in rows:
        if r["bench"] == bench:
            seen[(r["contender"], r["config"])] = True
    return list(seen)


def fmt(v, digits=1):
    if v is None:
        return "n/a"
    if abs(v) >= 1000:
        return "%.0f" % v
    return "%.*f" % (digits, v)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return "%.2f" % (a / b)


def table(head, body):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return "\n".join(out)


def plot_bars(path, title, ylabel, labels, series):
    """series: [(name, [values])]; missing values are skipped."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(labels)), 4))
    n = len(series)
    width = 0.8 / max(n, 1)
    for i, (name, vals) in enumerate(series):
        xs = [j + (i - (n - 1) / 2) * width for j in range(len(labels))]
        vs = [v if v is not None else 0 for v in vals]
        bars = ax.bar(xs, vs, width, label=name)
        for b, v in zip(bars, vals):
            if v is not None:
                ax.annotate(fmt(v), (b.get_x() + b.get_width() / 2, b.get_height()),
                            ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if n > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def section_fence(rows, res, out):
    cfgs = configs(rows, "fence")
    if not cfgs:
        return
    out.append("## Fence round trip\n")
    out.append("The guest program (`virtgpu-test fence --capset 0`) submits an "
               "EXECBUFFER holding one virgl NOP dword with a fence and waits "
               "for the fence, n times (after a warmup); times in µs as the "
               "guest sees them.  Device `virtio-gpu-gl-pci`.  capset 0 = "
               "the kernel's default virgl context without CONTEXT_INIT "
               "(neither stock 7.2 nor upstream 10.2 with virglrenderer "
               "0.10.4 offer more), so the fence is on the device-wide "
               "timeline; `capset2` = a CONTEXT_INIT virgl2 context with a "
               "ring fence (ours only).\n")
    body = []
    for c, cfg in cfgs:
        disp = cfg.split(",")[0]
        rest = ",".join(cfg.split(",")[1:])
        body.append([NAMES.get(c, c), DISPLAYS.get(disp, disp) + (" " + rest if rest else ""),
                     fmt(get(rows, "fence", c, cfg, "median")),
                     fmt(get(rows, "fence", c, cfg, "p99")),
                     fmt(get(rows, "fence", c, cfg, "n"), 0)])
    fpath = os.path.join(res, "failures.tsv")
    if os.path.exists(fpath):
        with open(fpath) as f:
            for line in f:
                name = line.split("\t")[0]
                if name.startswith("fence-"):
                    c, _, cfg = name[len("fence-"):].partition("-")
                    body.append([NAMES.get(c, c), DISPLAYS.get(cfg, cfg),
                                 "failed", "failed", "(see below)"])
    out.append(table(["contender", "display", "median µs", "p99 µs", "n"], body))
    out.append("")
    pairs = []
    gl = "gtk-gl"
    for a, b in (("ours", "upstream"), ("ours", "stock"), ("upstream", "stock")):
        ma, mb = get(rows, "fence", a, gl, "median"), get(rows, "fence", b, gl, "median")
        pa, pb = get(rows, "fence", a, gl, "p99"), get(rows, "fence", b, gl, "p99")
        pairs.append(["%s / %s" % (a, b), DISPLAYS[gl], ratio(ma, mb), ratio(pa, pb)])
    ma, mb = get(rows, "fence", "ours", "none", "median"), get(rows, "fence", "ours", gl, "median")
    pa, pb = get(rows, "fence", "ours", "none", "p99"), get(rows, "fence", "ours", gl, "p99")
    pairs.append(["ours headless / ours gtk", "none vs gtk,gl=on", ratio(ma, mb), ratio(pa, pb)])
    for b in ("upstream", "stock"):
        pairs.append(["ours headless / %s gtk" % b, "none vs gtk,gl=on (different displays)",
                      ratio(ma, get(rows, "fence", b, gl, "median")),
                      ratio(pa, get(rows, "fence", b, gl, "p99"))])
    out.append("Ratios (lower is faster):\n")
    out.append(table(["pair", "display", "median ratio", "p99 ratio"], pairs))
    out.append("")
    labels = ["%s\n%s" % (c, cfg) for c, cfg in cfgs]
    if plot_bars(os.path.join(res, "fence.png"), "Fence round trip (guest)", "µs", labels,
                 [("median", [get(rows, "fence", c, cfg, "median") for c, cfg in cfgs]),
                  ("p99", [get(rows, "fence", c, cfg, "p99") for c, cfg in cfgs])]):
        out.append("![fence round trip](fence.png)\n")


def section_2d(rows, res, out):
    cfgs = configs(rows, "2d")
    if not cfgs:
        return
    out.append("## 2D: TRANSFER_TO_HOST_2D + RESOURCE_FLUSH, 1920x1080\n")
    out.append("From the guest (`bench/guest/bench2d`): a 1920x1080 XRGB8888 "
               "dumb buffer is the scanout of `virtio-gpu-pci,xres=1920,"
               "yres=1080` (`-display none`), and each DRM_IOCTL_MODE_DIRTYFB "
               "of the whole buffer makes the guest driver send "
               "TRANSFER_TO_HOST_2D + RESOURCE_FLUSH.  The same guest "
               "program runs on every contender, so the comparison holds "
               "across versions.  fps = iterations per second with the "
               "control queue kept full (sustained device rate); median/p99 "
               "= time per iteration over windows of 10.\n")
    body = []
    for c, cfg in cfgs:
        body.append([NAMES.get(c, c), fmt(get(rows, "2d", c, cfg, "fps")),
                     fmt(get(rows, "2d", c, cfg, "mpix_s")),
                     fmt(get(rows, "2d", c, cfg, "median")),
                     fmt(get(rows, "2d", c, cfg, "p99"))])
    out.append(table(["contender", "fps", "Mpixel/s", "median µs/iter", "p99 µs/iter"], body))
    out.append("")
    pairs = []
    for a, b in (("ours", "upstream"), ("ours", "stock"), ("upstream", "stock")):
        pairs.append(["%s / %s" % (a, b),
                      ratio(get(rows, "2d", a, "1920x1080", "fps"),
                            get(rows, "2d", b, "1920x1080", "fps")),
                      ratio(get(rows, "2d", a, "1920x1080", "median"),
                            get(rows, "2d", b, "1920x1080", "median")),
                      ratio(get(rows, "2d", a, "1920x1080", "p99"),
                            get(rows, "2d", b, "1920x1080", "p99"))])
    out.append("Ratios (fps: higher is faster; times: lower is faster):\n")
    out.append(table(["pair", "fps ratio", "median ratio", "p99 ratio"], pairs))
    out.append("")
    if plot_bars(os.path.join(res, "2d.png"), "2D transfer + flush, 1920x1080", "fps",
                 [NAMES.get(c, c) for c, _ in cfgs],
                 [("fps", [get(rows, "2d", c, cfg, "fps") for c, cfg in cfgs])]):
        out.append("![2D](2d.png)\n")


def section_guest(rows, res, out):
    cfgs = configs(rows, "guest")
    if not cfgs:
        return
    out.append("## Guest: kmscube and glmark2-es2-drm\n")
    out.append("The trixie guest (Mesa 25) on our `virtio-gpu-gl-pci` "
               "(`-display none`, virgl: the guest's GL runs on the host's "
               "llvmpipe through virglrenderer) against the same guest "
               "rendering in software (llvmpipe inside the TCG guest, "
               "kms_swrast) on the 2D `virtio-gpu-pci`: what users have "
               "today without the series.\n")
    out.append("Both at the device's preferred mode, 1280x800 (glmark2 2023.01 "
               "would take the largest EDID mode, 5120x2160: "
               "`bench/guest/prefmode.c` hides the others), glmark2 with an "
               "XRGB visual (`--visual-config a=0`: the device scans out no "
               "ARGB).  glmark2's score is the mean FPS of its scenes, "
               "truncated; the unrounded mean is given too.\n")
    body = []
    for c, cfg in cfgs:
        body.append([cfg, fmt(get(rows, "guest", c, cfg, "kmscube_fps"), 2),
                     fmt(get(rows, "guest", c, cfg, "glmark2_score"), 0),
                     fmt(get(rows, "guest", c, cfg, "glmark2_fps"), 2)])
    out.append(table(["guest rendering", "kmscube fps", "glmark2 score",
                      "glmark2 mean fps"], body))
    out.append("")
    out.append(table(["pair", "kmscube ratio", "glmark2 mean fps ratio"],
                     [["virgl / software-2d",
                       ratio(get(rows, "guest", "ours", "virgl", "kmscube_fps"),
                             get(rows, "guest", "ours", "software-2d", "kmscube_fps")),
                       ratio(get(rows, "guest", "ours", "virgl", "glmark2_fps"),
                             get(rows, "guest", "ours", "software-2d", "glmark2_fps"))]]))
    out.append("")
    if plot_bars(os.path.join(res, "guest.png"), "Guest rendering (higher is faster)", "fps",
                 ["kmscube fps", "glmark2 mean fps"],
                 [(cfg, [get(rows, "guest", c, cfg, "kmscube_fps"),
                         get(rows, "guest", c, cfg, "glmark2_fps")]) for c, cfg in cfgs]):
        out.append("![guest](guest.png)\n")


def section_map(rows, res, out):
    cfgs = configs(rows, "map-unmap")
    if not cfgs:
        return
    g = lambda cfg, m: get(rows, "map-unmap", "ours", cfg, m)
    out.append("## MAP_BLOB + UNMAP_BLOB\n")
    out.append("A qtest (`bench/qtest/virtio-gpu-bench.c`, ours only: "
               "neither stock 7.2 nor upstream 10.2 with virglrenderer "
               "0.10.4 map host blobs) maps a 64 KiB virgl host blob into "
               "the hostmem BAR and unmaps it, n cycles, alone and while a "
               "second context keeps %s fenced virgl clears (256x256) in "
               "flight (each answered clear is replaced at once).  That "
               "context's fence latency (submit to answer) is measured "
               "without the cycles and during them.  Both contexts share "
               "the one control queue, which the device works through in "
               "order: a MAP or UNMAP waits for the clears queued before "
               "it.  Times are host wall-clock, kick to answer, and "
               "include the qtest protocol's round trips.\n" % fmt(g("fence-loaded", "depth"), 0))
    body = []
    for cfg in ("alone", "loaded"):
        body.append([cfg, fmt(g(cfg, "cycles_per_s")), fmt(g(cfg, "median_us")),
                     fmt(g(cfg, "p99_us")), fmt(g(cfg, "map_median_us")),
                     fmt(g(cfg, "map_p99_us")), fmt(g(cfg, "unmap_median_us")),
                     fmt(g(cfg, "unmap_p99_us")), fmt(g(cfg, "n"), 0)])
    out.append(table(["cycles", "cycles/s", "cycle median µs", "cycle p99 µs",
                      "MAP median µs", "MAP p99 µs", "UNMAP median µs",
                      "UNMAP p99 µs", "n"], body))
    out.append("")
    body = []
    for cfg, what in (("fence-alone", "without MAP/UNMAP"),
                      ("fence-loaded", "during MAP/UNMAP cycles")):
        body.append([what, fmt(g(cfg, "median_us")), fmt(g(cfg, "p99_us")),
                     fmt(g(cfg, "n"), 0)])
    out.append(table(["second context's fences", "median µs", "p99 µs", "n"], body))
    out.append("")
    out.append(table(["pair", "ratio"], [
        ["cycles/s loaded / alone", ratio(g("loaded", "cycles_per_s"), g("alone", "cycles_per_s"))],
        ["fence median during cycles / without", ratio(g("fence-loaded", "median_us"),
                                                       g("fence-alone", "median_us"))],
        ["fence p99 during cycles / without", ratio(g("fence-loaded", "p99_us"),
                                                    g("fence-alone", "p99_us"))]]))
    out.append("")
    if plot_bars(os.path.join(res, "map-unmap.png"), "MAP_BLOB + UNMAP_BLOB cycle and fence latency",
                 "µs", ["cycle alone", "cycle loaded", "fence alone", "fence during cycles"],
                 [("median", [g("alone", "median_us"), g("loaded", "median_us"),
                              g("fence-alone", "median_us"), g("fence-loaded", "median_us")]),
                  ("p99", [g("alone", "p99_us"), g("loaded", "p99_us"),
                           g("fence-alone", "p99_us"), g("fence-loaded", "p99_us")])]):
        out.append("![map-unmap](map-unmap.png)\n")


def section_replay(rows, res, out):
    if not configs(rows, "replay"):
        return
    g = lambda who, cfg, m: get(rows, "replay", who, cfg, m)
    out.append("## Device overhead: a recorded virgl stream replayed\n")
    out.append("kmscube (%s frames) ran in the guest on our "
               "`virtio-gpu-gl-pci` (`-display none`) with "
               "`bench/host/virgl-record.c` preloaded into QEMU: an "
               "LD_PRELOAD shim that records every call QEMU makes into "
               "virglrenderer (QEMU itself is unchanged), only while "
               "kmscube runs (%s bytes, %s calls).  The stream is then "
               "replayed through our device by a qtest, each call as its "
               "virtio-gpu request, one at a time, fenced where the guest "
               "fenced it; and straight into virglrenderer by "
               "`bench/host/virgl-replay.c` (surfaceless EGL, same flags "
               "as the device): the limit.  Times are summed over the "
               "stream, per replay; the first replay (shader compiles) is "
               "not counted.  'transport' replays as many GET_DISPLAY_INFO "
               "requests, which never reach virglrenderer: the cost of the "
               "qtest protocol and the virtqueue alone.\n" % (
                   fmt(g("record", "stream", "frames"), 0),
                   fmt(g("record", "stream", "bytes"), 0),
                   fmt(g("device", "stream-info", "ops"), 0)))
    body = []
    for who, cfg, what in (("device", "stream", "through our device (qtest)"),
                           ("limit", "stream", "straight into virglrenderer"),
                           ("device", "transport", "transport floor (GET_DISPLAY_INFO)")):
        body.append([what, fmt(g(who, cfg, "median_ms"), 2), fmt(g(who, cfg, "p99_ms"), 2),
                     fmt(g(who, cfg, "cold_ms"), 2), fmt(g(who, cfg, "reps"), 0)])
    out.append(table(["replay", "median ms", "p99 ms", "first (cold) ms", "replays"], body))
    out.append("")
    body = []
    for op in ("op", "op-submit", "op-transfer_write", "op-res_create", "op-ctx_create"):
        for who in ("device", "limit"):
            if g(who, op, "median_us") is None:
                continue
            body.append([op.replace("op-", "") if op != "op" else "all calls", who,
                         fmt(g(who, op, "median_us")), fmt(g(who, op, "p99_us")),
                         fmt(g(who, op, "n"), 0)])
    dt = g("device", "transport-op", "median_us")
    if dt is not None:
        body.append(["GET_DISPLAY_INFO", "device", fmt(dt),
                     fmt(g("device", "transport-op", "p99_us")),
                     fmt(g("device", "transport-op", "n"), 0)])
    out.append(table(["call", "replayed", "median µs", "p99 µs", "n"], body))
    out.append("")
    dev, lim, floor = g("device", "stream", "median_ms"), g("limit", "stream", "median_ms"), \
        g("device", "transport", "median_ms")
    pairs = [["stream: device / limit", ratio(dev, lim)]]
    if floor is not None and dev is not None:
        pairs.append(["stream: (device - transport floor) / limit", ratio(dev - floor, lim)])
    pairs.append(["submit median: device / limit",
                  ratio(g("device", "op-submit", "median_us"), g("limit", "op-submit", "median_us"))])
    out.append(table(["pair", "ratio"], pairs))
    out.append("")
    errs = (g("device", "stream-info", "errors") or 0) + (g("limit", "stream", "errors") or 0)
    if errs:
        out.append("Calls that failed during the replays (per replay): device %s, "
                   "limit %s.\n" % (fmt(g("device", "stream-info", "errors"), 0),
                                     fmt(g("limit", "stream", "errors"), 0)))
    if plot_bars(os.path.join(res, "replay.png"), "Replay of a recorded virgl stream", "ms",
                 ["device (qtest)", "limit (virglrenderer)", "transport floor"],
                 [("median ms", [dev, lim, floor]),
                  ("p99 ms", [g("device", "stream", "p99_ms"), g("limit", "stream", "p99_ms"),
                              g("device", "transport", "p99_ms")])]):
        out.append("![replay](replay.png)\n")


def main():
    res = sys.argv[1]
    rows, meta = load(res)
    out = ["# virtio-gpu benchmark: %s run of %s\n" % (meta.get("mode", "?"),
                                                        meta.get("date", "?"))]
    out.append("Machine: %s, %s CPUs, %s GB RAM, %s, kernel %s; no GPU "
               "(Mesa %s llvmpipe), virglrenderer %s.  Guests under TCG "
               "(no KVM), 1 vCPU.  Load average at start %s, at end %s "
               "(other jobs share the machine).\n" % (
                   meta.get("cpu", "?"), meta.get("cpus", "?"), meta.get("mem_gb", "?"),
                   meta.get("os", "?"), meta.get("kernel", "?"), meta.get("mesa", "?"),
                   meta.get("virglrenderer", "?"), meta.get("loadavg_start", "?"),
                   meta.get("loadavg_end", "?")))
    out.append("Contenders, all configured alike (x86_64-softmmu, TCG+KVM, "
               "opengl, virglrenderer, GTK, virtfs, slirp, png; "
               "`bench/build.sh`):\n")
    for c in CONTENDERS:
        out.append("- **%s**: `%s`" % (NAMES[c], meta.get("qemu_" + c, "?")))
    out.append("- ours = the base plus `patches/` as of %s\n" % meta.get("ours_patches", "?"))
    section_fence(rows, res, out)
    section_2d(rows, res, out)
    section_guest(rows, res, out)
    section_map(rows, res, out)
    section_replay(rows, res, out)
    fpath = os.path.join(res, "failures.tsv")
    if os.path.exists(fpath):
        out.append("## Runs that failed\n")
        body = []
        with open(fpath) as f:
            for line in f:
                parts = (line.rstrip("\n").split("\t") + ["", "", ""])[:3]
                body.append([parts[0], parts[1], parts[2].replace("`", "'").replace("|", "/")])
        out.append(table(["run", "status", "QEMU's last words"], body))
        out.append("")
    bt = ["%s %s s" % (k[len("build_full_seconds_"):], v) for k, v in meta.items()
          if k.startswith("build_full_seconds_")]
    bl = ["%s %s s" % (k[len("build_last_seconds_"):], v) for k, v in meta.items()
          if k.startswith("build_last_seconds_")]
    out.append("## Run\n")
    out.append("Iterations: fence n=%s, 2D n=%s, kmscube %s frames, glmark2 %s, "
               "MAP/UNMAP n=%s.  The bench took %s s.%s\n" % (
                   meta.get("fence_n"), meta.get("two_d_n"), meta.get("kmscube_frames"),
                   meta.get("glmark2_args"), meta.get("map_n"), meta.get("bench_seconds", "?"),
                   (" First (full) builds, 2 jobs, nice 10, on this shared "
                    "machine: " + ", ".join(bt) + "; this run's (cached) builds: "
                    + ", ".join(bl) + ".") if bt else ""))
    with open(os.path.join(res, "report.md"), "w") as f:
        f.write("\n".join(out))
    print(os.path.join(res, "report.md"))


if __name__ == "__main__":
    main()

/*
 * bench2d: the virtio-gpu 2D path from inside a guest, the same on every
 * QEMU version: a dumb buffer of WxH (default 1920x1080, XRGB8888) is the
 * scanout, and each iteration sends DRM_IOCTL_MODE_DIRTYFB with one clip
 * covering the whole buffer.  The virtio-gpu driver turns that into
 * TRANSFER_TO_HOST_2D of the clip and RESOURCE_FLUSH.  For a dumb buffer it
 * fences neither (Linux 6.12), so the ioctl returns once both commands are
 * queued, and blocks only when the control queue is full.  Hence the
 * warmup (default 300 iterations) fills the queue first: from then on
 * every iteration waits for the device to finish one, the backlog is the
 * same at the start and the end of the measured run, and count / elapsed
 * is the device's sustained transfer + flush rate (fps); median and p99
 * are over the per-iteration times of windows of K iterations.
 *
 * Build: gcc -static -O2 -Wall -Wextra -o bench2d bench2d.c
 *        (DRM uAPI headers from libdrm-dev; no libdrm code)
 *
 * usage: bench2d [--dev PATH] [--size WxH] [--count N] [--warmup W]
 *                [--window K] [--touch ROWS]
 *   --window K     the per-iteration times are averaged over windows of K
 *                  iterations (default 10): single ioctls return either at
 *                  once or after the device freed a batch of queue slots
 *   --touch ROWS   rows the guest rewrites before each DIRTYFB (default 1:
 *                  the content changes but the guest's own memory writes,
 *                  slow under TCG, stay out of the measurement)
 *
 * Prints "RESULT flush2d_us median=.. p99=.. min=.. max=.. mean=.. n=..
 * fps=.. mpix_s=.. size=WxH" and exits 0, or "FAIL bench2d: ..." and 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <libdrm/drm.h>
#include <libdrm/drm_mode.h>

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#include <stdarg.h>
static void die(const char *fmt, ...)
{
    va_list ap;
    int e = errno;

    printf("FAIL bench2d: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(" (errno %d %s)\n", e, strerror(e));
    exit(1);
}

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;

    do {
        r = ioctl(fd, req, arg);
    } while (r < 0 && (errno == EINTR || errno == EAGAIN));
    return r;
}

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *dev = "/dev/dri/card0";
    unsigned w = 1920, h = 1080, touch = 1;
    long count = 1000, warmup = 300, window = 10;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--dev") && v) {
            dev = v;
        } else if (!strcmp(a, "--size") && v) {
            if (sscanf(v, "%ux%u", &w, &h) != 2 || !w || !h || w > 8192 || h > 8192) {
                errno = EINVAL;
                die("bad --size %s", v);
            }
        } else if (!strcmp(a, "--count") && v) {
            count = atol(v);
        } else if (!strcmp(a, "--warmup") && v) {
            warmup = atol(v);
        } else if (!strcmp(a, "--window") && v) {
            window = atol(v);
        } else if (!strcmp(a, "--touch") && v) {
            touch = (unsigned)atoi(v);
        } else {
            fprintf(stderr, "usage: bench2d [--dev PATH] [--size WxH] [--count N]"
                    " [--warmup W] [--window K] [--touch ROWS]\n");
            return 2;
        }
        i++;
    }
    if (count < 1 || warmup < 0 || window < 1) {
        errno = EINVAL;
        die("--count and --window must be >= 1, --warmup >= 0");
    }
    if (touch > h) {
        touch = h;
    }

    int fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        die("open %s", dev);
    }
    xioctl(fd, DRM_IOCTL_SET_MASTER, NULL);   /* we are usually master already */

    /* The first connected connector with a WxH mode, its encoder's CRTC. */
    struct drm_mode_card_res res = { 0 };
    if (xioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) {
        die("GETRESOURCES");
    }
    uint32_t *conns = calloc(res.count_connectors + 1, 4);
    uint32_t *crtcs = calloc(res.count_crtcs + 1, 4);
    uint32_t *encs = calloc(res.count_encoders + 1, 4);
    uint32_t *fbs = calloc(res.count_fbs + 1, 4);
    res.connector_id_ptr = (uintptr_t)conns;
    res.crtc_id_ptr = (uintptr_t)crtcs;
    res.encoder_id_ptr = (uintptr_t)encs;
    res.fb_id_ptr = (uintptr_t)fbs;
    if (xioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) {
        die("GETRESOURCES");
    }
    if (!res.count_crtcs) {
        errno = ENODEV;
        die("no CRTC");
    }

    struct drm_mode_modeinfo mode;
    uint32_t conn_id = 0;
    int found = 0;
    for (unsigned c = 0; c < res.count_connectors && !found; c++) {
        struct drm_mode_get_connector gc = { .connector_id = conns[c] };
        if (xioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &gc)) {
            die("GETCONNECTOR %u", conns[c]);
        }
        if (gc.connection != 1 || !gc.count_modes) {
            continue;
        }
        struct drm_mode_modeinfo *modes = calloc(gc.count_modes, sizeof(*modes));
        uint32_t n = gc.count_modes;
        memset(&gc, 0, sizeof(gc));
        gc.connector_id = conns[c];
        gc.count_modes = n;
        gc.modes_ptr = (uintptr_t)modes;
        if (xioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &gc)) {
            die("GETCONNECTOR %u", conns[c]);
        }
        for (unsigned m = 0; m < n && m < gc.count_modes; m++) {
            if (modes[m].hdisplay == w && modes[m].vdisplay == h) {
                mode = modes[m];
                conn_id = conns[c];
                found = 1;
                break;
            }
        }
        free(modes);
    }
    if (!found) {
        errno = ENOENT;
        die("no connected connector offers %ux%u (set the device's xres/yres)", w, h);
    }

    struct drm_mode_create_dumb cd = { .width = w, .height = h, .bpp = 32 };
    if (xioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)) {
        die("CREATE_DUMB %ux%u", w, h);
    }
    struct drm_mode_map_dumb md = { .handle = cd.handle };
    if (xioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md)) {
        die("MAP_DUMB");
    }
    uint8_t *px = mmap(NULL, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, md.offset);
    if (px == MAP_FAILED) {
        die("mmap dumb buffer");
    }
    for (unsigned y = 0; y < h; y++) {        /* a gradient, written once */
        uint32_t *row = (uint32_t *)(px + (size_t)y * cd.pitch);
        for (unsigned x = 0; x < w; x++) {
            row[x] = ((x * 255 / w) << 16) | ((y * 255 / h) << 8) | 0x40;
        }
    }

    struct drm_mode_fb_cmd fb = {
        .width = w, .height = h, .pitch = cd.pitch, .bpp = 32, .depth = 24,
        .handle = cd.handle,
    };
    if (xioctl(fd, DRM_IOCTL_MODE_ADDFB, &fb)) {
        die("ADDFB");
    }
    struct drm_mode_crtc sc = {
        .crtc_id = crtcs[0], .fb_id = fb.fb_id,
        .set_connectors_ptr = (uintptr_t)&conn_id, .count_connectors = 1,
        .mode = mode, .mode_valid = 1,
    };
    if (xioctl(fd, DRM_IOCTL_MODE_SETCRTC, &sc)) {
        die("SETCRTC %ux%u", w, h);
    }

    struct drm_clip_rect clip = { .x1 = 0, .y1 = 0, .x2 = (uint16_t)w, .y2 = (uint16_t)h };
    struct drm_mode_fb_dirty_cmd dirty = {
        .fb_id = fb.fb_id, .num_clips = 1, .clips_ptr = (uintptr_t)&clip,
    };
    long total = count + warmup;
    double *stamp = calloc((size_t)total + 1, sizeof(*stamp));
    for (long i = 0; i < total; i++) {
        for (unsigned r = 0; r < touch; r++) {
            uint32_t *row = (uint32_t *)(px + (size_t)((i + r) % h) * cd.pitch);
            memset(row, (int)(i & 0xff), (size_t)w * 4);
        }
        if (i == warmup) {
            stamp[i] = now_us();
        }
        if (xioctl(fd, DRM_IOCTL_MODE_DIRTYFB, &dirty)) {
            die("DIRTYFB %ld", i);
        }
        stamp[i + 1] = now_us();
    }
    double elapsed = stamp[total] - stamp[warmup];

    /* Per-iteration time over windows of `window` iterations. */
    long nwin = count / window;
    if (nwin < 1) {
        nwin = 1;
        window = count;
    }
    double *v = calloc((size_t)nwin, sizeof(*v)), sum = 0;
    for (long k = 0; k < nwin; k++) {
        long a = warmup + k * window;
        v[k] = (stamp[a + window] - stamp[a]) / window;
        sum += v[k];
    }
    qsort(v, (size_t)nwin, sizeof(*v), cmp_double);
    double median = nwin % 2 ? v[nwin / 2] : (v[nwin / 2 - 1] + v[nwin / 2]) / 2;
    long i99 = (nwin * 99 + 99) / 100 - 1;
    double fps = count / (elapsed / 1e6);
    printf("RESULT flush2d_us median=%.1f p99=%.1f min=%.1f max=%.1f mean=%.1f n=%ld "
           "windows=%ld window=%ld fps=%.2f mpix_s=%.1f size=%ux%u touch=%u\n",
           median, v[i99], v[0], v[nwin - 1], sum / nwin, count, nwin, window, fps,
           fps * w * h / 1e6, w, h, touch);
    free(v);
    free(stamp);

    munmap(px, cd.size);
    xioctl(fd, DRM_IOCTL_MODE_RMFB, &fb.fb_id);
    struct drm_mode_destroy_dumb dd = { .handle = cd.handle };
    xioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd);
    close(fd);
    return 0;
}

/*
 * xd-test: a cross-domain (virtio-gpu capset 5) Wayland client inside a
 * guest, with raw DRM ioctls (no libdrm, no sommelier, no libwayland).
 *
 * Build (static, so that it runs in any guest):
 *     gcc -static -O2 -Wall -Wextra -o xd-test xd-test.c
 * (virtgpu-uapi.h is found next to this file)
 *
 * usage: xd-test [--dev PATH] [--timeout SECONDS]
 *
 * It checks the device (capset 5 offered, version 1, the Wayland channel),
 * creates a cross-domain context with two rings, its query and channel
 * pages, INITs it for Wayland and then, through SEND and POLL/RECEIVE:
 *   registry  wl_display.get_registry and sync: the compositor's globals
 *             (wl_compositor and wl_shm needed) and the sync callback
 *   image     GET_IMAGE_REQUIREMENTS for 64x64 XR24 on ring 0, a host blob
 *             of that size mapped and written (the pixels read back)
 *   shm       that blob as a wl_shm pool (its fd travels as an identifier),
 *             a wl_buffer of it on a wl_surface, commit, then a sync: the
 *             compositor answers without a protocol error
 *   screenshot  the buffer on a surface the fullscreen shell shows
 *             (zwp_fullscreen_shell_v1), then Weston's screenshooter
 *             (weston --debug) writes the output into another image blob:
 *             the guest finds its 64x64 pixels in it, each one exact
 * Output: one "PASS <name>" or "FAIL <name>: <why>" line per step and
 * "GLOBAL <name> <interface> <version>" lines; exit status 1 after a FAIL.
 * The host's error answers don't reach the ioctls: the kernel logs them
 * ("*ERROR* response 0x12.."), which tests/cross-domain-guest.sh checks.
 *
 * Debian's libdrm and kernel headers lack CONTEXT_INIT and capset 5, so
 * the DRM ioctls and layouts are in virtgpu-uapi.h (shared with
 * virtgpu-test.c) and the cross-domain commands and the Wayland wire
 * format are written out here.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* The virtio-gpu DRM uAPI, shared with virtgpu-test.c */
#include "virtgpu-uapi.h"

/* Cross-domain */
#define XD_INIT 1
#define XD_GET_IMAGE_REQUIREMENTS 2
#define XD_POLL 3
#define XD_SEND 4
#define XD_RECEIVE 5
#define XD_CHANNEL_WAYLAND 1
#define XD_QUERY_RING 0
#define XD_CHANNEL_RING 1
#define XD_ID_BLOB 1
#define XD_MAX_IDS 28
#define XD_SEND_SIZE (16 + 12 * XD_MAX_IDS)
#define XD_TYPES_OFF (16 + 4 * XD_MAX_IDS)
#define FOURCC_XR24 0x34325258u
#define PAGE 4096

/* Wayland objects of this client, in the order they are made */
enum {
    WL_DISPLAY = 1, WL_REGISTRY, SYNC1, SHM, POOL, BUFFER, COMPOSITOR,
    SURFACE, SYNC2, FSHELL, OUTPUT, SHOOTER, SURFACE2, FRAME, SHOT_POOL,
    SHOT_BUFFER,
};

static int drm = -1;
static int timeout_ms = 60000;
static int failures;
static uint8_t *query, *channel;
static uint32_t query_bo, channel_bo;

/* What the compositor said */
static struct global {
    uint32_t name, version;
    char interface[64];
} globals[64];
static int nglobals;
static uint8_t inbuf[1 << 16];
static size_t inlen;
/* events of our objects not waited for yet, with their first arguments */
static struct event {
    uint32_t obj, op, args[4];
} events[256];
static int nevents;

static void pass(const char *name)
{
    printf("PASS %s\n", name);
}

static bool fail(const char *name, const char *fmt, ...)
{
    va_list ap;

    printf("FAIL %s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    failures++;
    return false;
}

static uint32_t get32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

static uint64_t get64(const uint8_t *p)
{
    return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static int xioctl(unsigned long req, void *arg)
{
    int ret;

    do {
        ret = ioctl(drm, req, arg);
    } while (ret < 0 && (errno == EINTR || errno == EAGAIN));
    return ret;
}

static int open_node(const char *path)
{
    char name[32] = "";
    struct vt_drm_version v = { .name_len = sizeof(name) - 1,
                                .name = name };
    int fd, i;
    char node[32];

    if (path) {
        return open(path, O_RDWR | O_CLOEXEC);
    }
    for (i = 128; i < 136; i++) {
        snprintf(node, sizeof(node), "/dev/dri/renderD%d", i);
        fd = open(node, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        memset(name, 0, sizeof(name));
        if (ioctl(fd, VT_IOCTL_VERSION, &v) == 0 &&
            !strcmp(name, "virtio_gpu")) {
            return fd;
        }
        close(fd);
    }
    errno = ENODEV;
    return -1;
}

static int getparam(uint64_t param)
{
    int value = 0;
    struct vt_getparam gp = { .param = param,
                              .value = (uintptr_t)&value };

    return xioctl(VT_IOCTL_VIRTGPU_GETPARAM, &gp) ? -1 : value;
}

/* An EXECBUFFER of @len bytes; @ring < 0: no ring */
static int execbuffer(const void *cmd, uint32_t len, int ring,
                      uint32_t *bos, uint32_t nbos)
{
    struct vt_execbuffer eb = {
        .size = len, .command = (uintptr_t)cmd,
        .bo_handles = (uintptr_t)bos, .num_bo_handles = nbos,
        .fence_fd = -1,
    };

    if (ring >= 0) {
        eb.flags = VIRTGPU_EXECBUF_RING_IDX;
        eb.ring_idx = ring;
    }
    return xioctl(VT_IOCTL_VIRTGPU_EXECBUFFER, &eb);
}

static void *blob_map(uint32_t bo, size_t size)
{
    struct vt_map m = { .handle = bo };
    void *p;

    if (xioctl(VT_IOCTL_VIRTGPU_MAP, &m)) {
        return NULL;
    }
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, drm, m.offset);
    return p == MAP_FAILED ? NULL : p;
}

static int create_blob(uint32_t mem, uint32_t flags, uint64_t blob_id,
                       uint64_t size, uint32_t *bo, uint32_t *res)
{
    struct vt_create_blob b = { .blob_mem = mem, .blob_flags = flags,
                                .size = size, .blob_id = blob_id };

    if (xioctl(VT_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &b)) {
        return -1;
    }
    *bo = b.bo_handle;
    *res = b.res_handle;
    return 0;
}

static void xd_hdr(uint8_t *cmd, uint8_t type, uint16_t size)
{
    memset(cmd, 0, 8);
    cmd[0] = type;
    cmd[2] = size;
    cmd[3] = size >> 8;
}

static int xd_poll(void)
{
    uint8_t cmd[16];

    xd_hdr(cmd, XD_POLL, sizeof(cmd));
    memset(cmd + 8, 0, 8);
    return execbuffer(cmd, sizeof(cmd), XD_CHANNEL_RING, NULL, 0);
}

/* SEND @len Wayland bytes with resource @res as its one fd (0: none) */
static int xd_send(const void *data, uint32_t len, uint32_t res)
{
    static uint8_t cmd[XD_SEND_SIZE + 4096];

    if (len > sizeof(cmd) - XD_SEND_SIZE) {
        errno = EMSGSIZE;
        return -1;
    }
    memset(cmd, 0, XD_SEND_SIZE);
    xd_hdr(cmd, XD_SEND, XD_SEND_SIZE + len);
    put32(cmd + 8, res ? 1 : 0);
    put32(cmd + 12, len);
    put32(cmd + 16, res);
    put32(cmd + XD_TYPES_OFF, XD_ID_BLOB);
    memcpy(cmd + XD_SEND_SIZE, data, len);
    return execbuffer(cmd, XD_SEND_SIZE + len, -1, NULL, 0);
}

/* Wayland messages */

static void wl_word(uint8_t *b, size_t *len, uint32_t v)
{
    put32(b + *len, v);
    *len += 4;
}

static void wl_req(uint8_t *b, size_t *len, uint32_t obj, uint32_t op,
                   const uint32_t *args, int nargs)
{
    int i;

    wl_word(b, len, obj);
    wl_word(b, len, (uint32_t)(8 + 4 * nargs) << 16 | op);
    for (i = 0; i < nargs; i++) {
        wl_word(b, len, args[i]);
    }
}

static void wl_bind(uint8_t *b, size_t *len, const struct global *g,
                    uint32_t version, uint32_t id)
{
    uint32_t slen = strlen(g->interface) + 1, padded = (slen + 3) & ~3u;

    wl_word(b, len, WL_REGISTRY);
    wl_word(b, len, (8 + 4 + 4 + padded + 8) << 16 | 0);
    wl_word(b, len, g->name);
    wl_word(b, len, slen);
    memset(b + *len, 0, padded);
    memcpy(b + *len, g->interface, slen);
    *len += padded;
    wl_word(b, len, version);
    wl_word(b, len, id);
}

/* Parse the complete messages in inbuf; false on wl_display.error */
static bool wl_parse(const char *name)
{
    size_t off = 0;

    while (inlen - off >= 8) {
        const uint8_t *m = inbuf + off;
        uint32_t obj = get32(m), op = get32(m + 4) & 0xffff;
        uint32_t size = get32(m + 4) >> 16;

        if (size < 8) {
            return fail(name, "a Wayland message of %u bytes", size);
        }
        if (inlen - off < size) {
            break;
        }
        if (obj == WL_DISPLAY && op == 0 && size >= 20) {
            return fail(name, "wl_display.error: object %u code %u: %.*s",
                        get32(m + 8), get32(m + 12), (int)size - 20,
                        (const char *)m + 20);
        }
        if (obj == WL_REGISTRY && op == 0 && size >= 20 &&
            nglobals < (int)(sizeof(globals) / sizeof(globals[0]))) {
            struct global *g = &globals[nglobals++];
            uint32_t slen = get32(m + 12), padded = (slen + 3) & ~3u;

            g->name = get32(m + 8);
            snprintf(g->interface, sizeof(g->interface), "%.*s",
                     slen ? (int)slen - 1 : 0, (const char *)m + 16);
            g->version = 16 + padded + 4 <= size ?
                         get32(m + 16 + padded) : 0;
            printf("GLOBAL %u %s %u\n", g->name, g->interface, g->version);
        }
        if (obj > WL_REGISTRY &&
            nevents < (int)(sizeof(events) / sizeof(events[0]))) {
            struct event *e = &events[nevents++];
            uint32_t i;

            e->obj = obj;
            e->op = op;
            for (i = 0; i < 4; i++) {
                e->args[i] = 8 + 4 * i + 4 <= size ? get32(m + 8 + 4 * i) : 0;
            }
        }
        off += size;
    }
    memmove(inbuf, inbuf + off, inlen - off);
    inlen -= off;
    return true;
}

/*
 * POLLs are always pending: wait for a fence event, take the RECEIVE out
 * of the channel page and POLL again, until event @op of object @obj came
 * (into @out, if not NULL).
 */
static bool wl_wait(const char *name, uint32_t obj, uint32_t op,
                    struct event *out)
{
    struct pollfd pfd = { .fd = drm, .events = POLLIN };
    uint8_t ev[64];
    uint32_t n, len;
    int i;

    for (;;) {
        for (i = 0; i < nevents; i++) {
            if (events[i].obj == obj && events[i].op == op) {
                if (out) {
                    *out = events[i];
                }
                memmove(&events[i], &events[i + 1],
                        (nevents - i - 1) * sizeof(events[0]));
                nevents--;
                return true;
            }
        }
        if (poll(&pfd, 1, timeout_ms) != 1) {
            return fail(name, "no fence event in %d ms", timeout_ms);
        }
        if (read(drm, ev, sizeof(ev)) < 8 ||
            get32(ev) != VIRTGPU_EVENT_FENCE_SIGNALED) {
            return fail(name, "not a fence event");
        }
        if (channel[0] != XD_RECEIVE) {
            return fail(name, "channel message %u, not RECEIVE", channel[0]);
        }
        n = get32(channel + 8);
        len = get32(channel + 12);
        if (n) {
            return fail(name, "%u fds from the compositor", n);
        }
        if (!len) {
            return fail(name, "the compositor hung up");
        }
        if (len > PAGE - XD_SEND_SIZE || inlen + len > sizeof(inbuf)) {
            return fail(name, "a RECEIVE of %u bytes", len);
        }
        memcpy(inbuf + inlen, channel + XD_SEND_SIZE, len);
        inlen += len;
        if (xd_poll()) {
            return fail(name, "POLL: %s", strerror(errno));
        }
        if (!wl_parse(name)) {
            return false;
        }
    }
}

/* wl_callback @callback is done */
static bool wl_roundtrip(const char *name, uint32_t callback)
{
    return wl_wait(name, callback, 0, NULL);
}

static const struct global *find_global(const char *interface)
{
    int i;

    for (i = 0; i < nglobals; i++) {
        if (!strcmp(globals[i].interface, interface)) {
            return &globals[i];
        }
    }
    return NULL;
}

static bool setup(const char *dev)
{
    const char *name = "setup";
    struct vt_ctx_set_param params[] = {
        { VIRTGPU_CONTEXT_PARAM_CAPSET_ID, VIRTGPU_DRM_CAPSET_CROSS_DOMAIN },
        { VIRTGPU_CONTEXT_PARAM_NUM_RINGS, 2 },
        { VIRTGPU_CONTEXT_PARAM_POLL_RINGS_MASK, 1 << XD_CHANNEL_RING },
    };
    struct vt_context_init ci = { .num_params = 3,
                                  .ctx_set_params = (uintptr_t)params };
    uint32_t caps[4] = { 0 };
    struct vt_get_caps gc = { .cap_set_id = VIRTGPU_DRM_CAPSET_CROSS_DOMAIN,
                              .addr = (uintptr_t)caps,
                              .size = sizeof(caps) };
    uint32_t res_q, res_c;
    uint8_t cmd[20];
    int mask;

    drm = open_node(dev);
    if (drm < 0) {
        return fail(name, "no virtio_gpu render node: %s", strerror(errno));
    }
    mask = getparam(VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs);
    if (mask < 0 || !(mask & (1 << VIRTGPU_DRM_CAPSET_CROSS_DOMAIN))) {
        return fail(name, "capset 5 not offered (capset mask 0x%x)", mask);
    }
    if (getparam(VIRTGPU_PARAM_CONTEXT_INIT) <= 0 ||
        getparam(VIRTGPU_PARAM_RESOURCE_BLOB) <= 0 ||
        getparam(VIRTGPU_PARAM_HOST_VISIBLE) <= 0) {
        return fail(name, "CONTEXT_INIT, blobs and host-visible memory"
                    " needed");
    }
    if (xioctl(VT_IOCTL_VIRTGPU_GET_CAPS, &gc)) {
        return fail(name, "GET_CAPS(5): %s", strerror(errno));
    }
    printf("CAPSET version=%u channels=0x%x dmabuf=%u external=%u\n",
           caps[0], caps[1], caps[2], caps[3]);
    if (caps[0] < 1 || !(caps[1] & (1 << XD_CHANNEL_WAYLAND))) {
        return fail(name, "no Wayland channel in the capset");
    }
    if (xioctl(VT_IOCTL_VIRTGPU_CONTEXT_INIT, &ci)) {
        return fail(name, "CONTEXT_INIT: %s", strerror(errno));
    }
    if (create_blob(VIRTGPU_BLOB_MEM_GUEST, VIRTGPU_BLOB_FLAG_USE_MAPPABLE, 0,
                    PAGE, &query_bo, &res_q) ||
        create_blob(VIRTGPU_BLOB_MEM_GUEST, VIRTGPU_BLOB_FLAG_USE_MAPPABLE, 0,
                    PAGE, &channel_bo, &res_c)) {
        return fail(name, "RESOURCE_CREATE_BLOB: %s", strerror(errno));
    }
    query = blob_map(query_bo, PAGE);
    channel = blob_map(channel_bo, PAGE);
    if (!query || !channel) {
        return fail(name, "mapping the pages: %s", strerror(errno));
    }

    xd_hdr(cmd, XD_INIT, sizeof(cmd));
    put32(cmd + 8, res_q);
    put32(cmd + 12, res_c);
    put32(cmd + 16, XD_CHANNEL_WAYLAND);
    if (execbuffer(cmd, sizeof(cmd), -1, NULL, 0) || xd_poll()) {
        return fail(name, "INIT and POLL: %s", strerror(errno));
    }
    pass(name);
    return true;
}

static bool test_registry(void)
{
    const char *name = "registry";
    uint8_t b[64];
    size_t len = 0;

    wl_req(b, &len, WL_DISPLAY, 1, (uint32_t[]) { WL_REGISTRY }, 1);
    wl_req(b, &len, WL_DISPLAY, 0, (uint32_t[]) { SYNC1 }, 1);
    if (xd_send(b, len, 0)) {
        return fail(name, "SEND: %s", strerror(errno));
    }
    if (!wl_roundtrip(name, SYNC1)) {
        return false;
    }
    if (!find_global("wl_compositor") || !find_global("wl_shm")) {
        return fail(name, "%d globals, without wl_compositor or wl_shm",
                    nglobals);
    }
    printf("PASS %s: %d globals\n", name, nglobals);
    return true;
}

static uint32_t image_bo, image_res;
static uint64_t image_size;

/* The test image: a different colour for each pixel */
static uint32_t test_pixel(uint32_t x, uint32_t y)
{
    return 0xff000000u | (0x40 + y) << 16 | (0x40 + x) << 8 | 0xa5;
}

/*
 * GET_IMAGE_REQUIREMENTS of a @w x @h XR24 image and a host blob of it:
 * returns its stride, fills in the rest.
 */
static uint32_t image_blob(const char *name, uint32_t w, uint32_t h,
                           uint32_t *bo, uint32_t *res, uint64_t *size)
{
    uint8_t cmd[24];
    struct vt_3d_wait wa = { .handle = query_bo };
    uint32_t stride, blob_id;

    xd_hdr(cmd, XD_GET_IMAGE_REQUIREMENTS, sizeof(cmd));
    put32(cmd + 8, w);
    put32(cmd + 12, h);
    put32(cmd + 16, FOURCC_XR24);
    put32(cmd + 20, 0x11);              /* SCANOUT | LINEAR */
    memset(query, 0xff, 64);
    if (execbuffer(cmd, sizeof(cmd), XD_QUERY_RING, &query_bo, 1) ||
        xioctl(VT_IOCTL_VIRTGPU_WAIT, &wa)) {
        fail(name, "GET_IMAGE_REQUIREMENTS: %s", strerror(errno));
        return 0;
    }
    stride = get32(query);
    *size = get64(query + 40);
    blob_id = get32(query + 48);
    printf("IMAGE %ux%u stride=%u size=%llu blob_id=%u map_info=%u\n", w, h,
           stride, (unsigned long long)*size, blob_id, get32(query + 52));
    if (stride != w * 4 || *size < (uint64_t)stride * h || !blob_id ||
        blob_id == 0xffffffffu) {
        fail(name, "unexpected answer");
        return 0;
    }
    if (create_blob(VIRTGPU_BLOB_MEM_HOST3D,
                    VIRTGPU_BLOB_FLAG_USE_MAPPABLE |
                    VIRTGPU_BLOB_FLAG_USE_SHAREABLE,
                    blob_id, *size, bo, res)) {
        fail(name, "host blob: %s", strerror(errno));
        return 0;
    }
    return stride;
}

static bool test_image(void)
{
    const char *name = "image";
    uint32_t *pix, x, y;

    if (!image_blob(name, 64, 64, &image_bo, &image_res, &image_size)) {
        return false;
    }
    if (image_size != 16384) {
        return fail(name, "an image of %llu bytes",
                    (unsigned long long)image_size);
    }
    pix = blob_map(image_bo, image_size);
    if (!pix) {
        return fail(name, "mapping the blob: %s", strerror(errno));
    }
    for (y = 0; y < 64; y++) {
        for (x = 0; x < 64; x++) {
            pix[y * 64 + x] = test_pixel(x, y);
        }
    }
    for (y = 0; y < 64; y++) {
        for (x = 0; x < 64; x++) {
            if (pix[y * 64 + x] != test_pixel(x, y)) {
                return fail(name, "pixel (%u, %u) reads back 0x%08x", x, y,
                            pix[y * 64 + x]);
            }
        }
    }
    munmap(pix, image_size);
    pass(name);
    return true;
}

static bool test_shm(void)
{
    const char *name = "shm";
    const struct global *shm = find_global("wl_shm");
    const struct global *comp = find_global("wl_compositor");
    uint8_t b[512];
    size_t len = 0;

    wl_bind(b, &len, shm, 1, SHM);
    if (xd_send(b, len, 0)) {
        return fail(name, "SEND: %s", strerror(errno));
    }
    /* wl_shm.create_pool(id, fd, size): the fd is the blob's */
    len = 0;
    wl_req(b, &len, SHM, 0, (uint32_t[]) { POOL, image_size }, 2);
    if (xd_send(b, len, image_res)) {
        return fail(name, "SEND of the pool: %s", strerror(errno));
    }
    len = 0;
    wl_req(b, &len, POOL, 0, (uint32_t[]) { BUFFER, 0, 64, 64, 256, 1 }, 6);
    wl_bind(b, &len, comp, 1, COMPOSITOR);
    wl_req(b, &len, COMPOSITOR, 0, (uint32_t[]) { SURFACE }, 1);
    wl_req(b, &len, SURFACE, 1, (uint32_t[]) { BUFFER, 0, 0 }, 3);
    wl_req(b, &len, SURFACE, 2, (uint32_t[]) { 0, 0, 64, 64 }, 4);
    wl_req(b, &len, SURFACE, 6, NULL, 0);
    wl_req(b, &len, WL_DISPLAY, 0, (uint32_t[]) { SYNC2 }, 1);
    if (xd_send(b, len, 0)) {
        return fail(name, "SEND: %s", strerror(errno));
    }
    if (!wl_roundtrip(name, SYNC2)) {
        return false;
    }
    pass(name);
    return true;
}

static bool test_screenshot(void)
{
    const char *name = "screenshot";
    const char *names[] = { "zwp_fullscreen_shell_v1", "wl_output",
                            "weston_screenshooter" };
    const struct global *g[3];
    uint32_t shot_bo, shot_res, w, h, x, y, x0 = 0, y0 = 0, i;
    uint64_t shot_size;
    uint32_t *shot;
    struct event ev;
    uint8_t b[512];
    size_t len = 0;
    bool found = false;

    for (i = 0; i < 3; i++) {
        g[i] = find_global(names[i]);
        if (!g[i]) {
            return fail(name, "no %s (weston --debug --shell="
                        "fullscreen-shell.so?)", names[i]);
        }
    }
    wl_bind(b, &len, g[0], 1, FSHELL);
    wl_bind(b, &len, g[1], 1, OUTPUT);
    wl_bind(b, &len, g[2], 1, SHOOTER);
    if (xd_send(b, len, 0)) {
        return fail(name, "SEND: %s", strerror(errno));
    }
    /* wl_output.mode(flags, width, height, refresh) */
    if (!wl_wait(name, OUTPUT, 1, &ev)) {
        return false;
    }
    w = ev.args[1];
    h = ev.args[2];
    printf("OUTPUT %ux%u\n", w, h);
    if (w < 64 || h < 64 || w > 4096 || h > 4096) {
        return fail(name, "an output of %ux%u", w, h);
    }

    /* the image on a surface in the middle of the output, until shown */
    len = 0;
    wl_req(b, &len, COMPOSITOR, 0, (uint32_t[]) { SURFACE2 }, 1);
    wl_req(b, &len, FSHELL, 1, (uint32_t[]) { SURFACE2, 1, OUTPUT }, 3);
    wl_req(b, &len, SURFACE2, 1, (uint32_t[]) { BUFFER, 0, 0 }, 3);
    wl_req(b, &len, SURFACE2, 2, (uint32_t[]) { 0, 0, 64, 64 }, 4);
    wl_req(b, &len, SURFACE2, 3, (uint32_t[]) { FRAME }, 1);
    wl_req(b, &len, SURFACE2, 6, NULL, 0);
    if (xd_send(b, len, 0)) {
        return fail(name, "SEND: %s", strerror(errno));
    }
    if (!wl_roundtrip(name, FRAME)) {
        return false;
    }

    /* weston_screenshooter.take_shot(output, buffer of another blob) */
    if (!image_blob(name, w, h, &shot_bo, &shot_res, &shot_size)) {
        return false;
    }
    len = 0;
    wl_req(b, &len, SHM, 0, (uint32_t[]) { SHOT_POOL, shot_size }, 2);
    if (xd_send(b, len, shot_res)) {
        return fail(name, "SEND of the pool: %s", strerror(errno));
    }
    len = 0;
    wl_req(b, &len, SHOT_POOL, 0,
           (uint32_t[]) { SHOT_BUFFER, 0, w, h, w * 4, 0 }, 6);
    wl_req(b, &len, SHOOTER, 0, (uint32_t[]) { OUTPUT, SHOT_BUFFER }, 2);
    if (xd_send(b, len, 0)) {
        return fail(name, "SEND: %s", strerror(errno));
    }
    if (!wl_wait(name, SHOOTER, 0, NULL)) {
        return false;
    }

    shot = blob_map(shot_bo, shot_size);
    if (!shot) {
        return fail(name, "mapping the screenshot: %s", strerror(errno));
    }
    for (i = 0; i < w * h && !found; i++) {
        found = (shot[i] & 0xffffff) == (test_pixel(0, 0) & 0xffffff);
        x0 = i % w;
        y0 = i / w;
    }
    if (!found || x0 + 64 > w || y0 + 64 > h) {
        return fail(name, "the image is not in the screenshot");
    }
    printf("SCREENSHOT image at (%u, %u)\n", x0, y0);
    for (y = 0; y < 64; y++) {
        for (x = 0; x < 64; x++) {
            uint32_t got = shot[(y0 + y) * w + x0 + x] & 0xffffff;

            if (got != (test_pixel(x, y) & 0xffffff)) {
                return fail(name, "pixel (%u, %u) is 0x%06x, not 0x%06x", x,
                            y, got, test_pixel(x, y) & 0xffffff);
            }
        }
    }
    munmap(shot, shot_size);
    pass(name);
    return true;
}

int main(int argc, char **argv)
{
    const char *dev = NULL;
    int i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dev") && i + 1 < argc) {
            dev = argv[++i];
        } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            timeout_ms = atoi(argv[++i]) * 1000;
        } else {
            fprintf(stderr, "usage: %s [--dev PATH] [--timeout SECONDS]\n",
                    argv[0]);
            return 2;
        }
    }
    if (setup(dev) && test_registry() && test_image() && test_shm()) {
        test_screenshot();
    }
    return failures ? 1 : 0;
}

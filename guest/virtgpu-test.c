/*
 * virtgpu-test: exercise the Linux virtio-gpu DRM uAPI from inside a guest
 * with raw ioctls (no libdrm), one feature per subcommand.
 *
 * Build (static, so it runs in any guest):
 *     gcc -static -O2 -Wall -Wextra -o virtgpu-test virtgpu-test.c
 * (virtgpu-uapi.h, the uAPI, is found next to this file)
 *
 * usage: virtgpu-test [--dev PATH] SUBCOMMAND [OPTIONS]
 *   params                          every GETPARAM, with its value
 *   capsets                         GET_CAPS of each capset the device has:
 *                                   id, highest version, size
 *   context-init --capset N [--rings R] [--poll-mask M]
 *                                   CONTEXT_INIT with that capset and rings
 *   blob-guest [--size B] [--flags F]
 *                                   RESOURCE_CREATE_BLOB (BLOB_MEM_GUEST,
 *                                   MAPPABLE), MAP, mmap, write, read back
 *   blob-host3d --capset N [--size B] [--cmd-hex HEX] [--blob-id I]
 *                                   CONTEXT_INIT, RESOURCE_CREATE_BLOB
 *                                   (BLOB_MEM_HOST3D, MAPPABLE), MAP, mmap,
 *                                   write, read back (see below)
 *   fence --capset N [--ring R] [--count K] [--warmup W] [--cmd-hex HEX]
 *         [--no-ring-idx]           K x EXECBUFFER with FENCE_FD_OUT (and
 *                                   RING_IDX R when N > 0 unless
 *                                   --no-ring-idx: then the fence is on the
 *                                   device-wide timeline), poll() each fence
 *   blob-scanout [--hold S] [--then CMD]
 *                                   a guest blob as the KMS framebuffer
 *                                   (SET_SCANOUT_BLOB on the host), filled
 *                                   with 8 colour bars; runs CMD (e.g.
 *                                   "screendump NAME") or sleeps S seconds
 *                                   while it is shown
 *   all                             everything the device supports; SKIP
 *                                   lines for the rest
 *
 * Each test prints one line "PASS <name> ..." or "FAIL <name>: <reason>"
 * (with errno), or "SKIP <name>: <why>" in "all", and the exit status is
 * non-zero after any FAIL.  Most virtio-gpu commands are not answered
 * synchronously: the kernel only logs the host's error responses, rate
 * limited.  So each test also records the driver's virtio_gpu_cmd_queue and
 * virtio_gpu_cmd_response trace events (tracefs, mounted on
 * /sys/kernel/tracing when needed; root) and fails when the host answered
 * any command with an error (the kernel log "*ERROR* response" lines when
 * there is no tracefs); context-init waits for a fenced resource first, so
 * that the answer to CTX_CREATE is in.  The trace is system-wide: run the
 * tests alone.  Machine-readable lines: "PARAM name value",
 * "CAPSET id=.. ...", "RESULT fence_rtt_us median=.. p99=.. ... n=..".
 * --capset 0 means "no CONTEXT_INIT": the kernel's default (virgl) context.
 *
 * Command streams.  blob-host3d for virgl (capsets 1 and 2) creates the
 * host blob the way Mesa's virgl winsys does: the blob's own command
 * buffer (drm_virtgpu_resource_create_blob.cmd) is one
 * VIRGL_CCMD_PIPE_RESOURCE_CREATE (11 dwords: a PIPE_BUFFER of R8_UNORM,
 * bind VERTEX_BUFFER, flags MAP_PERSISTENT|MAP_COHERENT, width = size) that
 * names the same blob_id.  For other capsets, pass the creating command as
 * --cmd-hex (bytes in hex, sent in the blob ioctl) and its --blob-id.
 * The fence test's EXECBUFFER carries, for virgl, one VIRGL_CCMD_NOP
 * header dword (0x00000000: cmd 0, length 0), which virglrenderer decodes
 * as a no-op (vrend_decode_dummy); Mesa never submits an empty buffer.  For
 * other capsets the default is an empty buffer (size 0, which the kernel
 * passes on); --cmd-hex overrides both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The virtio-gpu DRM uAPI, shared with xd-test.c */
#include "virtgpu-uapi.h"

/*
 * KMS (Linux include/uapi/drm/drm_mode.h), for blob-scanout only: vt_
 * structs of the same layout, sizes asserted below.
 */
struct vt_modeinfo {
    uint32_t clock;
    uint16_t hdisplay, hsync_start, hsync_end, htotal, hskew;
    uint16_t vdisplay, vsync_start, vsync_end, vtotal, vscan;
    uint32_t vrefresh, flags, type;
    char name[32];
};
struct vt_card_res {
    uint64_t fb_id_ptr, crtc_id_ptr, connector_id_ptr, encoder_id_ptr;
    uint32_t count_fbs, count_crtcs, count_connectors, count_encoders;
    uint32_t min_width, max_width, min_height, max_height;
};
struct vt_crtc {
    uint64_t set_connectors_ptr;
    uint32_t count_connectors, crtc_id, fb_id, x, y, gamma_size, mode_valid;
    struct vt_modeinfo mode;
};
struct vt_get_encoder {
    uint32_t encoder_id, encoder_type, crtc_id, possible_crtcs, possible_clones;
};
struct vt_get_connector {
    uint64_t encoders_ptr, modes_ptr, props_ptr, prop_values_ptr;
    uint32_t count_modes, count_props, count_encoders;
    uint32_t encoder_id, connector_id, connector_type, connector_type_id;
    uint32_t connection, mm_width, mm_height, subpixel, pad;
};
struct vt_fb_cmd2 {
    uint32_t fb_id, width, height, pixel_format, flags;
    uint32_t handles[4], pitches[4], offsets[4];
    uint64_t modifier[4];
};
struct vt_fb_dirty {
    uint32_t fb_id, flags, color, num_clips;
    uint64_t clips_ptr;
};
#define VT_IOCTL_MODE_GETRESOURCES VT_IOWR(0xA0, struct vt_card_res)
#define VT_IOCTL_MODE_SETCRTC      VT_IOWR(0xA2, struct vt_crtc)
#define VT_IOCTL_MODE_GETENCODER   VT_IOWR(0xA6, struct vt_get_encoder)
#define VT_IOCTL_MODE_GETCONNECTOR VT_IOWR(0xA7, struct vt_get_connector)
#define VT_IOCTL_MODE_RMFB         VT_IOWR(0xAF, unsigned int)
#define VT_IOCTL_MODE_DIRTYFB      VT_IOWR(0xB1, struct vt_fb_dirty)
#define VT_IOCTL_MODE_ADDFB2       VT_IOWR(0xB8, struct vt_fb_cmd2)
#define VT_MODE_TYPE_PREFERRED     (1 << 3)
#define VT_FORMAT_XRGB8888         0x34325258 /* fourcc 'XR24' */

_Static_assert(sizeof(struct vt_modeinfo) == 68, "drm_mode_modeinfo");
_Static_assert(sizeof(struct vt_card_res) == 64, "drm_mode_card_res");
_Static_assert(sizeof(struct vt_crtc) == 104, "drm_mode_crtc");
_Static_assert(sizeof(struct vt_get_connector) == 80, "drm_mode_get_connector");
_Static_assert(sizeof(struct vt_fb_cmd2) == 104, "drm_mode_fb_cmd2");

/* virglrenderer's protocol (src/virgl_protocol.h, virgl_hw.h). */
#define VIRGL_CMD0(cmd, obj, len)        ((cmd) | ((obj) << 8) | ((len) << 16))
#define VIRGL_CCMD_NOP                   0
#define VIRGL_CCMD_PIPE_RESOURCE_CREATE  48
#define VIRGL_PIPE_RES_CREATE_SIZE       11
#define VIRGL_PIPE_RES_CREATE_TARGET     1
#define VIRGL_PIPE_RES_CREATE_FORMAT     2
#define VIRGL_PIPE_RES_CREATE_BIND       3
#define VIRGL_PIPE_RES_CREATE_WIDTH      4
#define VIRGL_PIPE_RES_CREATE_HEIGHT     5
#define VIRGL_PIPE_RES_CREATE_DEPTH      6
#define VIRGL_PIPE_RES_CREATE_ARRAY_SIZE 7
#define VIRGL_PIPE_RES_CREATE_LAST_LEVEL 8
#define VIRGL_PIPE_RES_CREATE_NR_SAMPLES 9
#define VIRGL_PIPE_RES_CREATE_FLAGS      10
#define VIRGL_PIPE_RES_CREATE_BLOB_ID    11
#define VIRGL_PIPE_BUFFER                0
#define VIRGL_FORMAT_R8_UNORM            64
#define VIRGL_BIND_VERTEX_BUFFER         (1 << 4)
#define VIRGL_RESOURCE_FLAG_MAP_PERSISTENT (1 << 1)
#define VIRGL_RESOURCE_FLAG_MAP_COHERENT   (1 << 2)

/* ------------------------------------------------------------------------ */

static const char *dev_path = "/dev/dri/card0";
static int failures;

static void fail(const char *name, const char *fmt, ...)
{
    va_list ap;
    printf("FAIL %s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    failures++;
}

/* "ioctl NAME: strerror (errno N)" for the last errno. */
static const char *ioerr(const char *what)
{
    static char buf[160];
    int e = errno;
    snprintf(buf, sizeof(buf), "%s: %s (errno %d %s)", what, strerror(e), e,
             strerrorname_np(e) ? strerrorname_np(e) : "?");
    return buf;
}

/* The host's answers since the start of the current test (see the top):
 * the driver's trace events, else the kernel log. */
#define TRACEFS "/sys/kernel/tracing"
static int trace_ok = -1;       /* -1: not tried yet */
static int kmsg_fd = -1;

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC), ok;
    if (fd < 0)
        return -1;
    ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    close(fd);
    return ok ? 0 : -1;
}

static void kmsg_mark(void)
{
    if (trace_ok < 0) {
        struct stat st;
        if (stat(TRACEFS "/events", &st) != 0)
            mount("tracefs", TRACEFS, "tracefs", 0, NULL);
        trace_ok =
            write_file(TRACEFS "/events/virtio_gpu/virtio_gpu_cmd_queue/enable", "1") == 0 &&
            write_file(TRACEFS "/events/virtio_gpu/virtio_gpu_cmd_response/enable", "1") == 0;
        if (trace_ok)       /* room for a long fence run: ~150 bytes an event */
            write_file(TRACEFS "/buffer_size_kb", "8192");
    }
    if (trace_ok) {
        write_file(TRACEFS "/trace", "");       /* O_TRUNC clears it */
        return;
    }
    if (kmsg_fd < 0)
        kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (kmsg_fd >= 0)
        lseek(kmsg_fd, 0, SEEK_END);
}

static const char *cmd_name(unsigned c)
{
    static const char *two_d[] = {
        "GET_DISPLAY_INFO", "RESOURCE_CREATE_2D", "RESOURCE_UNREF", "SET_SCANOUT",
        "RESOURCE_FLUSH", "TRANSFER_TO_HOST_2D", "RESOURCE_ATTACH_BACKING",
        "RESOURCE_DETACH_BACKING", "GET_CAPSET_INFO", "GET_CAPSET", "GET_EDID",
        "RESOURCE_ASSIGN_UUID", "RESOURCE_CREATE_BLOB", "SET_SCANOUT_BLOB" };
    static const char *three_d[] = {
        "CTX_CREATE", "CTX_DESTROY", "CTX_ATTACH_RESOURCE", "CTX_DETACH_RESOURCE",
        "RESOURCE_CREATE_3D", "TRANSFER_TO_HOST_3D", "TRANSFER_FROM_HOST_3D",
        "SUBMIT_3D", "RESOURCE_MAP_BLOB", "RESOURCE_UNMAP_BLOB" };
    if (c >= 0x100 && c < 0x100 + sizeof(two_d) / sizeof(two_d[0]))
        return two_d[c - 0x100];
    if (c >= 0x200 && c < 0x200 + sizeof(three_d) / sizeof(three_d[0]))
        return three_d[c - 0x200];
    return "?";
}

static const char *resp_name(unsigned r)
{
    static const char *errs[] = { "ERR_UNSPEC", "ERR_OUT_OF_MEMORY",
        "ERR_INVALID_SCANOUT_ID", "ERR_INVALID_RESOURCE_ID",
        "ERR_INVALID_CONTEXT_ID", "ERR_INVALID_PARAMETER" };
    return r >= 0x1200 && r < 0x1206 ? errs[r - 0x1200] : "?";
}

static void fail(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Error answers in the trace: response events of type >= 0x1200, matched
 * to their command by the queue event with the same vq name and seqno. */
static int trace_errors(unsigned only_cmd, char *first, size_t firstlen)
{
    FILE *f = fopen(TRACEFS "/trace", "r");
    char line[512];
    int count = 0;
    enum { NSEQ = 1 << 16 };
    static uint32_t cmd_of[NSEQ];       /* control queue: seqno -> command */

    if (!f)
        return 0;
    memset(cmd_of, 0, sizeof(cmd_of));
    while (fgets(line, sizeof(line), f)) {
        const char *q = strstr(line, "virtio_gpu_cmd_queue: ");
        const char *r = strstr(line, "virtio_gpu_cmd_response: ");
        const char *ev = q ? q : r, *p;
        unsigned type = 0, seqno = 0;
        if (!ev || !strstr(ev, " name=control "))
            continue;
        if ((p = strstr(ev, " type=0x")))
            type = (unsigned)strtoul(p + 8, NULL, 16);
        if ((p = strstr(ev, " seqno=")))
            seqno = (unsigned)strtoul(p + 7, NULL, 10);
        if (q) {
            cmd_of[seqno % NSEQ] = type;
            continue;
        }
        if (type < 0x1200)
            continue;
        unsigned cmd = cmd_of[seqno % NSEQ];
        if (only_cmd && cmd != only_cmd)
            continue;
        if (!count++)
            snprintf(first, firstlen, "%s to %s (response 0x%x, command 0x%x)",
                     resp_name(type), cmd_name(cmd), type, cmd);
    }
    fclose(f);
    return count;
}

static int kmsg_errors(unsigned only_cmd, char *first, size_t firstlen)
{
    char rec[1024];
    int count = 0;

    if (kmsg_fd < 0)
        return 0;
    for (;;) {
        ssize_t r = read(kmsg_fd, rec, sizeof(rec) - 1);
        if (r < 0 && errno == EPIPE)    /* overwritten records: go on */
            continue;
        if (r <= 0)
            break;
        rec[r] = 0;
        const char *m = strstr(rec, "*ERROR* response 0x");
        unsigned resp, cmd;
        if (!m || !strstr(rec, "virtio_gpu") ||
            sscanf(m, "*ERROR* response 0x%x (command 0x%x)", &resp, &cmd) != 2)
            continue;
        if (only_cmd && cmd != only_cmd)
            continue;
        if (!count++)
            snprintf(first, firstlen, "%s to %s (response 0x%x, command 0x%x)",
                     resp_name(resp), cmd_name(cmd), resp, cmd);
    }
    return count;
}

/* FAIL NAME when the host answered a command with an error since
 * kmsg_mark(); ONLY_CMD != 0 looks at that command only.  Returns 1 then. */
static int host_errors(const char *name, unsigned only_cmd)
{
    char first[160] = "";
    int count = trace_ok > 0 ? trace_errors(only_cmd, first, sizeof(first))
                             : kmsg_errors(only_cmd, first, sizeof(first));
    if (!count)
        return 0;
    fail(name, "the host answered %d command%s with an error, first: %s", count,
         count > 1 ? "s" : "", first);
    return 1;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do {
        r = ioctl(fd, req, arg);
    } while (r == -1 && (errno == EINTR || errno == EAGAIN));
    return r;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void gem_close(int fd, uint32_t handle)
{
    struct vt_gem_close gc = { .handle = handle };
    xioctl(fd, VT_IOCTL_GEM_CLOSE, &gc);
}

/* Open the device and check that it is virtio_gpu; -1 after a FAIL line. */
static int open_dev(const char *name)
{
    char drv[64] = "";
    struct vt_drm_version v = { .name = drv, .name_len = sizeof(drv) - 1 };
    int fd = open(dev_path, O_RDWR | O_CLOEXEC);

    kmsg_mark();
    if (fd < 0) {
        fail(name, "%s", ioerr(dev_path));
        return -1;
    }
    if (xioctl(fd, VT_IOCTL_VERSION, &v)) {
        fail(name, "%s", ioerr("DRM_IOCTL_VERSION"));
        close(fd);
        return -1;
    }
    if (strcmp(drv, "virtio_gpu") != 0) {
        fail(name, "%s is driven by '%s', not virtio_gpu", dev_path, drv);
        close(fd);
        return -1;
    }
    return fd;
}

static int getparam(int fd, uint64_t param, int *value)
{
    struct vt_getparam gp = { .param = param, .value = (uintptr_t)value };
    *value = 0;
    return xioctl(fd, VT_IOCTL_VIRTGPU_GETPARAM, &gp);
}

static const struct { int id; const char *name; } param_names[] = {
    { VIRTGPU_PARAM_3D_FEATURES, "3d_features" },
    { VIRTGPU_PARAM_CAPSET_QUERY_FIX, "capset_query_fix" },
    { VIRTGPU_PARAM_RESOURCE_BLOB, "resource_blob" },
    { VIRTGPU_PARAM_HOST_VISIBLE, "host_visible" },
    { VIRTGPU_PARAM_CROSS_DEVICE, "cross_device" },
    { VIRTGPU_PARAM_CONTEXT_INIT, "context_init" },
    { VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs, "supported_capset_ids" },
    { VIRTGPU_PARAM_EXPLICIT_DEBUG_NAME, "explicit_debug_name" },
};
#define NPARAMS (int)(sizeof(param_names) / sizeof(param_names[0]))

static const char *capset_name(unsigned id)
{
    static const char *names[] = { "default", "virgl", "virgl2", "gfxstream-vulkan",
                                   "venus", "cross-domain", "drm" };
    return id < sizeof(names) / sizeof(names[0]) ? names[id] : "?";
}

/* The device's features: value -1 when the kernel does not know the param. */
struct features { int v[NPARAMS + 1]; };

static void query_features(int fd, struct features *f)
{
    for (int i = 0; i < NPARAMS; i++) {
        int val;
        f->v[param_names[i].id] = getparam(fd, param_names[i].id, &val) ? -1 : val;
    }
}

/* ---- params --------------------------------------------------------------- */

static int cmd_params(void)
{
    char line[512] = "";
    size_t n = 0;
    int fd = open_dev("params"), bad = 0;

    if (fd < 0)
        return 1;
    for (int i = 0; i < NPARAMS; i++) {
        int val;
        if (getparam(fd, param_names[i].id, &val)) {
            int e = errno;
            printf("PARAM %s unsupported (errno %d %s)\n", param_names[i].name,
                   e, strerrorname_np(e) ? strerrorname_np(e) : "?");
            n += snprintf(line + n, sizeof(line) - n, " %s=?", param_names[i].name);
            /* 3D_FEATURES and CAPSET_QUERY_FIX exist since Linux 4.x */
            if (param_names[i].id <= VIRTGPU_PARAM_CAPSET_QUERY_FIX)
                bad = e;
            continue;
        }
        if (param_names[i].id == VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs) {
            printf("PARAM %s 0x%x", param_names[i].name, (unsigned)val);
            for (unsigned id = 0; id < 32; id++)
                if ((unsigned)val & (1u << id))
                    printf(" %u(%s)", id, capset_name(id));
            printf("\n");
            n += snprintf(line + n, sizeof(line) - n, " %s=0x%x",
                          param_names[i].name, (unsigned)val);
        } else {
            printf("PARAM %s %d\n", param_names[i].name, val);
            n += snprintf(line + n, sizeof(line) - n, " %s=%d",
                          param_names[i].name, val);
        }
    }
    close(fd);
    if (bad) {
        errno = bad;
        fail("params", "%s", ioerr("GETPARAM of a basic param"));
        return 1;
    }
    if (host_errors("params", 0))
        return 1;
    printf("PASS params%s\n", line);
    return 0;
}

/* ---- capsets -------------------------------------------------------------- */

/* GET_CAPS copies min(size, capset size) bytes and does not say how many:
 * fill the buffer with two different sentinels and see where they end. */
static int capset_probe(int fd, unsigned id, unsigned ver, unsigned *size,
                        uint8_t *buf, unsigned bufsize)
{
    unsigned last = 0;
    static const uint8_t fill[2] = { 0xa5, 0x5a };

    for (int k = 0; k < 2; k++) {
        struct vt_get_caps gc = { .cap_set_id = id, .cap_set_ver = ver,
                                  .addr = (uintptr_t)buf, .size = bufsize };
        memset(buf, fill[k], bufsize);
        if (xioctl(fd, VT_IOCTL_VIRTGPU_GET_CAPS, &gc))
            return -1;
        for (unsigned i = bufsize; i > last; i--)
            if (buf[i - 1] != fill[k]) {
                last = i;
                break;
            }
    }
    *size = last;
    return 0;
}

/* The capset ids to try: the kernel's mask when it has one, else 1..6. */
static unsigned capset_mask(int fd)
{
    int v;
    if (getparam(fd, VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs, &v) == 0 && v)
        return (unsigned)v;
    return 0x7e;
}

static int cmd_capsets(void)
{
    const int failures0 = failures;
    int fd = open_dev("capsets"), found = 0;
    unsigned mask, bufsize = 1 << 20;
    uint8_t *buf;
    char list[256] = "";
    size_t n = 0;

    if (fd < 0)
        return 1;
    buf = malloc(bufsize);
    mask = capset_mask(fd);
    for (unsigned id = 1; id < 32; id++) {
        unsigned size = 0, maxver = 0, s;
        if (!(mask & (1u << id)))
            continue;
        if (capset_probe(fd, id, 0, &size, buf, bufsize)) {
            if (errno == ENOSYS) {          /* the device has no capsets */
                fail("capsets", "%s", ioerr("GET_CAPS: device has no capsets"));
                free(buf);
                close(fd);
                return 1;
            }
            if (errno == EINVAL)            /* not this id */
                continue;
            fail("capsets", "%s", ioerr("GET_CAPS"));
            continue;
        }
        /* The highest version the host accepts. */
        for (unsigned ver = 1; ver < 64; ver++) {
            if (capset_probe(fd, id, ver, &s, buf, 64))
                break;
            maxver = ver;
        }
        capset_probe(fd, id, 0, &s, buf, bufsize);
        printf("CAPSET id=%u name=%s max_version=%u size=%u data=", id,
               capset_name(id), maxver, size);
        for (unsigned i = 0; i < size && i < 32; i += 4) {
            uint32_t w = 0;
            memcpy(&w, buf + i, size - i < 4 ? size - i : 4);
            printf("%s%08x", i ? "," : "", w);
        }
        printf("%s\n", size > 32 ? ",..." : "");
        if (id == VIRTGPU_DRM_CAPSET_VENUS && size >= 20) {
            /* virglrenderer's struct virgl_renderer_capset_venus; Mesa's
             * venus driver wants the wire format version of its own
             * venus-protocol (1 since 2023) and refuses others */
            uint32_t w[5];
            memcpy(w, buf, sizeof(w));
            printf("CAPSET-VENUS wire_format_version=%u vk_xml_version=%u.%u.%u "
                   "vk_ext_command_serialization_spec_version=%u "
                   "vk_mesa_venus_protocol_spec_version=%u supports_blob_id_0=%u\n",
                   w[0], w[1] >> 22, (w[1] >> 12) & 0x3ff, w[1] & 0xfff, w[2], w[3], w[4]);
        }
        n += snprintf(list + n, sizeof(list) - n, " %u(%s,v%u,%uB)", id,
                      capset_name(id), maxver, size);
        found++;
    }
    free(buf);
    close(fd);
    if (!found) {
        fail("capsets", "no capset answered GET_CAPS (mask 0x%x)", mask);
        return 1;
    }
    if (failures != failures0 || host_errors("capsets", 0))
        return 1;
    printf("PASS capsets%s\n", list);
    return 0;
}

/* ---- context-init --------------------------------------------------------- */

static int context_init(int fd, unsigned capset, unsigned rings, int64_t poll_mask)
{
    struct vt_ctx_set_param p[3];
    unsigned np = 0;

    p[np++] = (struct vt_ctx_set_param){ VIRTGPU_CONTEXT_PARAM_CAPSET_ID, capset };
    if (rings)
        p[np++] = (struct vt_ctx_set_param){ VIRTGPU_CONTEXT_PARAM_NUM_RINGS, rings };
    if (poll_mask >= 0)
        p[np++] = (struct vt_ctx_set_param){ VIRTGPU_CONTEXT_PARAM_POLL_RINGS_MASK,
                                             (uint64_t)poll_mask };
    struct vt_context_init ci = { .num_params = np, .ctx_set_params = (uintptr_t)p };
    return xioctl(fd, VT_IOCTL_VIRTGPU_CONTEXT_INIT, &ci);
}

static int cmd_context_init(unsigned capset, unsigned rings, int64_t poll_mask)
{
    int fd = open_dev("context-init");
    if (fd < 0)
        return 1;
    if (context_init(fd, capset, rings, poll_mask)) {
        fail("context-init", "capset=%u(%s) rings=%u: %s", capset,
             capset_name(capset), rings, ioerr("CONTEXT_INIT"));
        close(fd);
        return 1;
    }
    /* CTX_CREATE is not answered synchronously: wait for a fenced command
     * queued after it (a small 3D resource), then look for its error. */
    int v3d;
    if (getparam(fd, VIRTGPU_PARAM_3D_FEATURES, &v3d) == 0 && v3d > 0) {
        struct vt_resource_create rc = {
            .target = VIRGL_PIPE_BUFFER, .format = VIRGL_FORMAT_R8_UNORM,
            .bind = VIRGL_BIND_VERTEX_BUFFER, .width = 4096, .height = 1,
            .depth = 1, .array_size = 1, .size = 4096 };
        if (xioctl(fd, VT_IOCTL_VIRTGPU_RESOURCE_CREATE, &rc)) {
            fail("context-init", "%s", ioerr("RESOURCE_CREATE (sync point)"));
            close(fd);
            return 1;
        }
        struct vt_3d_wait w = { .handle = rc.bo_handle };
        if (xioctl(fd, VT_IOCTL_VIRTGPU_WAIT, &w)) {
            fail("context-init", "%s", ioerr("WAIT for the sync point"));
            close(fd);
            return 1;
        }
        gem_close(fd, rc.bo_handle);
        if (host_errors("context-init", 0x200)) {
            close(fd);
            return 1;
        }
    }
    /* A second init of the same file must be refused (EEXIST). */
    int again = context_init(fd, capset, rings, poll_mask);
    int e = errno;
    close(fd);
    if (again == 0 || e != EEXIST) {
        errno = again == 0 ? 0 : e;
        fail("context-init", "capset=%u: a second CONTEXT_INIT %s", capset,
             again == 0 ? "succeeded" : ioerr("was refused with an unexpected error"));
        return 1;
    }
    printf("PASS context-init capset=%u(%s) rings=%u%s\n", capset,
           capset_name(capset), rings, poll_mask >= 0 ? " poll_mask" : "");
    return 0;
}

/* ---- blobs ---------------------------------------------------------------- */

/* MAP + mmap a bo; NULL after a FAIL line. */
static void *map_bo(int fd, const char *name, uint32_t handle, size_t size)
{
    struct vt_map m = { .handle = handle };
    void *p;

    if (xioctl(fd, VT_IOCTL_VIRTGPU_MAP, &m)) {
        fail(name, "%s", ioerr("VIRTGPU_MAP"));
        return NULL;
    }
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)m.offset);
    if (p == MAP_FAILED) {
        fail(name, "%s", ioerr("mmap"));
        return NULL;
    }
    return p;
}

static uint32_t pattern(size_t i, uint32_t seed)
{
    return (uint32_t)(i * 2654435761u) ^ seed;
}

/* Write a pattern through one mapping, read it back through a second one. */
static int write_read_back(int fd, const char *name, uint32_t handle, size_t size)
{
    uint32_t *p = map_bo(fd, name, handle, size), *q;
    size_t n = size / 4, bad = 0, first = 0;

    if (!p)
        return -1;
    for (size_t i = 0; i < n; i++)
        p[i] = pattern(i, 0x5eed1234);
    munmap(p, size);
    q = map_bo(fd, name, handle, size);
    if (!q)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (q[i] != pattern(i, 0x5eed1234) && !bad++)
            first = i;
    munmap(q, size);
    if (bad) {
        fail(name, "%zu of %zu words read back wrong (first at byte %zu)", bad, n,
             first * 4);
        return -1;
    }
    return 0;
}

static int cmd_blob_guest(size_t size, uint32_t flags)
{
    const int failures0 = failures;
    int fd = open_dev("blob-guest");
    struct vt_create_blob cb = { .blob_mem = VIRTGPU_BLOB_MEM_GUEST,
                                 .blob_flags = flags, .size = size };
    struct vt_resource_info ri = { 0 };

    if (fd < 0)
        return 1;
    if (xioctl(fd, VT_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &cb)) {
        fail("blob-guest", "size=%zu flags=0x%x: %s", size, flags,
             ioerr("RESOURCE_CREATE_BLOB(BLOB_MEM_GUEST)"));
        close(fd);
        return 1;
    }
    ri.bo_handle = cb.bo_handle;
    if (xioctl(fd, VT_IOCTL_VIRTGPU_RESOURCE_INFO, &ri)) {
        fail("blob-guest", "%s", ioerr("RESOURCE_INFO"));
        goto out;
    }
    if (ri.res_handle != cb.res_handle || ri.size < size) {
        fail("blob-guest", "RESOURCE_INFO says res %u size %u, expected res %u size >= %zu",
             ri.res_handle, ri.size, cb.res_handle, size);
        goto out;
    }
    if (write_read_back(fd, "blob-guest", cb.bo_handle, size) == 0 &&
        !host_errors("blob-guest", 0))
        printf("PASS blob-guest res=%u size=%zu flags=0x%x blob_mem=%u\n",
               cb.res_handle, size, flags, ri.blob_mem);
out:
    gem_close(fd, cb.bo_handle);
    close(fd);
    return failures != failures0;
}

/* Parse hex bytes ("0011aabb", spaces and commas allowed). */
static uint8_t *parse_hex(const char *s, size_t *len)
{
    uint8_t *out = malloc(strlen(s) / 2 + 1);
    size_t n = 0;
    int hi = -1;

    for (; *s; s++) {
        int d;
        if (*s == ' ' || *s == ',' || *s == ':')
            continue;
        if (*s >= '0' && *s <= '9') d = *s - '0';
        else if (*s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
        else { free(out); return NULL; }
        if (hi < 0) hi = d;
        else { out[n++] = (uint8_t)(hi << 4 | d); hi = -1; }
    }
    if (hi >= 0) { free(out); return NULL; }
    *len = n;
    return out;
}

static int cmd_blob_host3d(unsigned capset, size_t size, const char *cmd_hex,
                           uint64_t blob_id)
{
    const int failures0 = failures;
    int fd = open_dev("blob-host3d");
    uint32_t virgl[VIRGL_PIPE_RES_CREATE_SIZE + 1] = { 0 };
    uint8_t *cmd = NULL;
    size_t cmd_size = 0;
    struct vt_create_blob cb = { .blob_mem = VIRTGPU_BLOB_MEM_HOST3D,
                                 .blob_flags = VIRTGPU_BLOB_FLAG_USE_MAPPABLE };

    if (fd < 0)
        return 1;
    size = (size + 4095) & ~(size_t)4095;
    if (capset && context_init(fd, capset, 1, -1)) {
        fail("blob-host3d", "capset=%u: %s", capset, ioerr("CONTEXT_INIT"));
        goto out_fd;
    }
    if (cmd_hex) {
        cmd = parse_hex(cmd_hex, &cmd_size);
        if (!cmd || cmd_size % 4) {
            fail("blob-host3d", "--cmd-hex: need whole dwords of hex bytes");
            goto out_fd;
        }
    } else if (capset == 0 || capset == VIRTGPU_DRM_CAPSET_VIRGL ||
               capset == VIRTGPU_DRM_CAPSET_VIRGL2) {
        virgl[0] = VIRGL_CMD0(VIRGL_CCMD_PIPE_RESOURCE_CREATE, 0,
                              VIRGL_PIPE_RES_CREATE_SIZE);
        virgl[VIRGL_PIPE_RES_CREATE_TARGET] = VIRGL_PIPE_BUFFER;
        virgl[VIRGL_PIPE_RES_CREATE_FORMAT] = VIRGL_FORMAT_R8_UNORM;
        virgl[VIRGL_PIPE_RES_CREATE_BIND] = VIRGL_BIND_VERTEX_BUFFER;
        virgl[VIRGL_PIPE_RES_CREATE_WIDTH] = (uint32_t)size;
        virgl[VIRGL_PIPE_RES_CREATE_HEIGHT] = 1;
        virgl[VIRGL_PIPE_RES_CREATE_DEPTH] = 1;
        virgl[VIRGL_PIPE_RES_CREATE_ARRAY_SIZE] = 1;
        virgl[VIRGL_PIPE_RES_CREATE_FLAGS] =
            VIRGL_RESOURCE_FLAG_MAP_PERSISTENT | VIRGL_RESOURCE_FLAG_MAP_COHERENT;
        virgl[VIRGL_PIPE_RES_CREATE_BLOB_ID] = (uint32_t)blob_id;
        cmd = (uint8_t *)virgl;
        cmd_size = sizeof(virgl);
    } else {
        fail("blob-host3d", "capset %u(%s): no built-in blob command; use --cmd-hex",
             capset, capset_name(capset));
        goto out_fd;
    }
    cb.size = size;
    cb.blob_id = blob_id;
    cb.cmd = (uintptr_t)cmd;
    cb.cmd_size = (uint32_t)cmd_size;
    if (xioctl(fd, VT_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &cb)) {
        fail("blob-host3d", "capset=%u size=%zu: %s", capset, size,
             ioerr("RESOURCE_CREATE_BLOB(BLOB_MEM_HOST3D, MAPPABLE)"));
        goto out_cmd;
    }
    if (write_read_back(fd, "blob-host3d", cb.bo_handle, size) == 0 &&
        !host_errors("blob-host3d", 0))
        printf("PASS blob-host3d capset=%u(%s) res=%u size=%zu blob_id=%" PRIu64 "\n",
               capset, capset_name(capset), cb.res_handle, size, blob_id);
    gem_close(fd, cb.bo_handle);
out_cmd:
    if (cmd != (uint8_t *)virgl)
        free(cmd);
out_fd:
    close(fd);
    return failures != failures0;
}

/* ---- fence ---------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmd_fence(unsigned capset, unsigned ring, long count, long warmup,
                     const char *cmd_hex, int ring_idx)
{
    const int failures0 = failures;
    int fd = open_dev("fence");
    uint32_t nop = VIRGL_CMD0(VIRGL_CCMD_NOP, 0, 0);
    uint8_t *cmd = (uint8_t *)&nop;
    size_t cmd_size = sizeof(nop);
    double *lat;
    long total = count + warmup;

    if (fd < 0)
        return 1;
    if (count < 1) {
        fail("fence", "--count must be at least 1");
        close(fd);
        return 1;
    }
    if (cmd_hex) {
        cmd = parse_hex(cmd_hex, &cmd_size);
        if (!cmd || cmd_size % 4) {
            fail("fence", "--cmd-hex: need whole dwords of hex bytes");
            close(fd);
            return 1;
        }
    } else if (capset > VIRTGPU_DRM_CAPSET_VIRGL2) {
        cmd_size = 0;                   /* no generic no-op: empty buffer */
    }
    ring_idx = ring_idx && capset;
    if (capset && context_init(fd, capset, ring_idx ? ring + 1 : 0, -1)) {
        fail("fence", "capset=%u rings=%u: %s", capset, ring_idx ? ring + 1 : 0,
             ioerr("CONTEXT_INIT"));
        close(fd);
        return 1;
    }
    lat = calloc((size_t)total, sizeof(*lat));
    for (long i = 0; i < total; i++) {
        struct vt_execbuffer eb = {
            .flags = VIRTGPU_EXECBUF_FENCE_FD_OUT | (ring_idx ? VIRTGPU_EXECBUF_RING_IDX : 0),
            .size = (uint32_t)cmd_size,
            .command = (uintptr_t)cmd,
            .fence_fd = -1,
            .ring_idx = ring,
        };
        double t0 = now_us();
        if (xioctl(fd, VT_IOCTL_VIRTGPU_EXECBUFFER, &eb)) {
            fail("fence", "submit %ld: %s", i, ioerr("EXECBUFFER"));
            goto out;
        }
        struct pollfd pfd = { .fd = eb.fence_fd, .events = POLLIN };
        int r;
        do {
            r = poll(&pfd, 1, 10000);
        } while (r < 0 && errno == EINTR);
        double t1 = now_us();
        close(eb.fence_fd);
        if (r < 0) {
            fail("fence", "fence %ld: %s", i, ioerr("poll"));
            goto out;
        }
        if (r == 0) {
            if (ring_idx)
                fail("fence", "fence %ld (capset %u, ring %u) not signalled after 10 s",
                     i, capset, ring);
            else
                fail("fence", "fence %ld (capset %u, no ring) not signalled after 10 s",
                     i, capset);
            goto out;
        }
        if (pfd.revents & (POLLERR | POLLNVAL)) {
            fail("fence", "fence %ld: poll revents 0x%x", i, pfd.revents);
            goto out;
        }
        lat[i] = t1 - t0;
    }
    if (host_errors("fence", 0))
        goto out;
    {
        double *v = lat + warmup, sum = 0;
        qsort(v, (size_t)count, sizeof(*v), cmp_double);
        for (long i = 0; i < count; i++)
            sum += v[i];
        double median = count % 2 ? v[count / 2] : (v[count / 2 - 1] + v[count / 2]) / 2;
        long i99 = (long)((count * 99 + 99) / 100) - 1;  /* ceil(0.99 n) - 1 */
        char rs[16] = "none";
        if (ring_idx)
            snprintf(rs, sizeof(rs), "%u", ring);
        printf("RESULT fence_rtt_us median=%.1f p99=%.1f min=%.1f max=%.1f mean=%.1f "
               "n=%ld capset=%u ring=%s cmd_bytes=%zu\n", median, v[i99], v[0],
               v[count - 1], sum / count, count, capset, rs, cmd_size);
        printf("PASS fence capset=%u(%s) ring=%s n=%ld median_us=%.1f p99_us=%.1f\n",
               capset, capset_name(capset), rs, count, median, v[i99]);
    }
out:
    free(lat);
    if (cmd != (uint8_t *)&nop)
        free(cmd);
    close(fd);
    return failures != failures0;
}

/* ---- blob-scanout --------------------------------------------------------- */

static const uint32_t bars[8] = {
    0xffffff, 0xffff00, 0x00ffff, 0x00ff00, 0xff00ff, 0xff0000, 0x0000ff, 0x202020,
};

static int cmd_blob_scanout(int hold, const char *then)
{
    const int failures0 = failures;
    int fd = open_dev("blob-scanout"), rc = 1;
    struct vt_card_res res = { 0 };
    uint32_t crtcs[16], conns[16], encs[16];
    struct vt_get_connector con = { 0 };
    struct vt_modeinfo modes[64], mode;
    uint32_t conn_id = 0, crtc_id = 0, fb_id = 0;
    struct vt_create_blob cb = { 0 };
    uint32_t *px = NULL;
    size_t size = 0;

    if (fd < 0)
        return 1;
    xioctl(fd, VT_IOCTL_SET_MASTER, NULL);  /* we are master anyway when first */
    res.crtc_id_ptr = (uintptr_t)crtcs;
    res.connector_id_ptr = (uintptr_t)conns;
    res.encoder_id_ptr = (uintptr_t)encs;
    res.count_crtcs = res.count_connectors = res.count_encoders = 16;
    if (xioctl(fd, VT_IOCTL_MODE_GETRESOURCES, &res)) {
        fail("blob-scanout", "%s", ioerr("MODE_GETRESOURCES"));
        goto out;
    }
    for (uint32_t i = 0; i < res.count_connectors && i < 16 && !conn_id; i++) {
        uint32_t cenc[16] = { 0 };
        memset(&con, 0, sizeof(con));
        con.connector_id = conns[i];
        con.modes_ptr = (uintptr_t)modes;
        con.count_modes = 64;
        con.encoders_ptr = (uintptr_t)cenc;
        con.count_encoders = 16;
        if (xioctl(fd, VT_IOCTL_MODE_GETCONNECTOR, &con))
            continue;
        if (con.connection != 1 || con.count_modes == 0)
            continue;
        mode = modes[0];
        for (uint32_t m = 0; m < con.count_modes && m < 64; m++)
            if (modes[m].type & VT_MODE_TYPE_PREFERRED) {
                mode = modes[m];
                break;
            }
        struct vt_get_encoder enc = { .encoder_id = con.encoder_id ? con.encoder_id : cenc[0] };
        if (xioctl(fd, VT_IOCTL_MODE_GETENCODER, &enc))
            continue;
        crtc_id = enc.crtc_id;
        for (uint32_t c = 0; !crtc_id && c < res.count_crtcs && c < 16; c++)
            if (enc.possible_crtcs & (1u << c))
                crtc_id = crtcs[c];
        if (crtc_id)
            conn_id = conns[i];
    }
    if (!conn_id) {
        fail("blob-scanout", "no connected connector with a mode and a CRTC");
        goto out;
    }

    uint32_t w = mode.hdisplay, h = mode.vdisplay, pitch = w * 4;
    size = ((size_t)pitch * h + 4095) & ~(size_t)4095;
    cb.blob_mem = VIRTGPU_BLOB_MEM_GUEST;
    cb.blob_flags = VIRTGPU_BLOB_FLAG_USE_MAPPABLE | VIRTGPU_BLOB_FLAG_USE_SHAREABLE;
    cb.size = size;
    if (xioctl(fd, VT_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &cb)) {
        fail("blob-scanout", "%s", ioerr("RESOURCE_CREATE_BLOB(BLOB_MEM_GUEST)"));
        goto out;
    }
    px = map_bo(fd, "blob-scanout", cb.bo_handle, size);
    if (!px)
        goto out;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            px[(size_t)y * w + x] = bars[x * 8 / w];

    struct vt_fb_cmd2 fb = { .width = w, .height = h, .pixel_format = VT_FORMAT_XRGB8888 };
    fb.handles[0] = cb.bo_handle;
    fb.pitches[0] = pitch;
    if (xioctl(fd, VT_IOCTL_MODE_ADDFB2, &fb)) {
        fail("blob-scanout", "%s", ioerr("MODE_ADDFB2"));
        goto out;
    }
    fb_id = fb.fb_id;
    struct vt_crtc crtc = { .set_connectors_ptr = (uintptr_t)&conn_id,
                            .count_connectors = 1, .crtc_id = crtc_id,
                            .fb_id = fb_id, .mode_valid = 1, .mode = mode };
    if (xioctl(fd, VT_IOCTL_MODE_SETCRTC, &crtc)) {
        fail("blob-scanout", "%s", ioerr("MODE_SETCRTC"));
        goto out;
    }
    struct vt_fb_dirty dirty = { .fb_id = fb_id };
    if (xioctl(fd, VT_IOCTL_MODE_DIRTYFB, &dirty) && errno != ENOSYS) {
        fail("blob-scanout", "%s", ioerr("MODE_DIRTYFB"));
        goto out;
    }
    if (host_errors("blob-scanout", 0))
        goto out;
    printf("PASS blob-scanout %ux%u res=%u fb=%u crtc=%u connector=%u bars=",
           w, h, cb.res_handle, fb_id, crtc_id, conn_id);
    for (int i = 0; i < 8; i++)
        printf("%s%06x", i ? "," : "", bars[i]);
    printf("\n");
    fflush(stdout);
    rc = 0;
    if (then) {
        int st = system(then);
        if (st != 0) {
            fail("blob-scanout", "--then '%s' exited with status %d", then, st);
            rc = 1;
        }
    } else if (hold > 0) {
        sleep((unsigned)hold);
    }
out:
    if (fb_id)
        xioctl(fd, VT_IOCTL_MODE_RMFB, &fb_id);
    if (px)
        munmap(px, size);
    if (cb.bo_handle)
        gem_close(fd, cb.bo_handle);
    close(fd);
    return rc || failures != failures0;
}

/* ---- all ------------------------------------------------------------------ */

static void skip(const char *name, const char *why)
{
    printf("SKIP %s: %s\n", name, why);
    fflush(stdout);
}

static int cmd_all(void)
{
    struct features f;
    int fd = open_dev("all"), pass = 0, skips = 0, r;
    unsigned mask = 0;

    if (fd < 0)
        return 1;
    query_features(fd, &f);
    if (f.v[VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs] > 0)
        mask = (unsigned)f.v[VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs];
    close(fd);

#define RUN(expr) do { fflush(stdout); r = (expr); pass += !r; } while (0)
#define SKIP(name, why) do { skip(name, why); skips++; } while (0)
    RUN(cmd_params());
    if (f.v[VIRTGPU_PARAM_3D_FEATURES] > 0)
        RUN(cmd_capsets());
    else
        SKIP("capsets", "3d_features=0: the device has no capsets");

    if (f.v[VIRTGPU_PARAM_CONTEXT_INIT] > 0 && mask) {
        for (unsigned id = 1; id < 32; id++)
            if (mask & (1u << id))
                RUN(cmd_context_init(id, 1, -1));
    } else {
        SKIP("context-init", f.v[VIRTGPU_PARAM_CONTEXT_INIT] > 0 ?
             "no capset ids advertised" : "context_init=0");
    }

    if (f.v[VIRTGPU_PARAM_RESOURCE_BLOB] > 0)
        RUN(cmd_blob_guest(1 << 20, VIRTGPU_BLOB_FLAG_USE_MAPPABLE));
    else
        SKIP("blob-guest", "resource_blob=0");

    /* virgl: capset 2 with context init, else the default context */
    unsigned vcap = (f.v[VIRTGPU_PARAM_CONTEXT_INIT] > 0 &&
                     (mask & (1u << VIRTGPU_DRM_CAPSET_VIRGL2))) ? VIRTGPU_DRM_CAPSET_VIRGL2 : 0;
    if (f.v[VIRTGPU_PARAM_3D_FEATURES] <= 0)
        SKIP("blob-host3d", "3d_features=0");
    else if (f.v[VIRTGPU_PARAM_RESOURCE_BLOB] <= 0 || f.v[VIRTGPU_PARAM_HOST_VISIBLE] <= 0)
        SKIP("blob-host3d", "resource_blob=0 or host_visible=0");
    else if (mask && !(mask & ((1u << VIRTGPU_DRM_CAPSET_VIRGL) | (1u << VIRTGPU_DRM_CAPSET_VIRGL2))))
        SKIP("blob-host3d", "no virgl capset (other capsets need --cmd-hex)");
    else
        RUN(cmd_blob_host3d(vcap, 1 << 20, NULL, 1));

    if (f.v[VIRTGPU_PARAM_3D_FEATURES] <= 0) {
        SKIP("fence", "3d_features=0: no EXECBUFFER");
    } else {
        RUN(cmd_fence(vcap, 0, 100, 5, NULL, 1));
        /* every other context type the device has, on ring 0 */
        for (unsigned id = 3; f.v[VIRTGPU_PARAM_CONTEXT_INIT] > 0 && id < 32; id++)
            if (mask & (1u << id))
                RUN(cmd_fence(id, 0, 100, 5, NULL, 1));
    }
    printf("SUMMARY pass=%d fail=%d skip=%d\n", pass, failures, skips);
    return failures ? 1 : 0;
}

/* ---- main ----------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
        "usage: virtgpu-test [--dev PATH] SUBCOMMAND [OPTIONS]\n"
        "  params | capsets | all\n"
        "  context-init --capset N [--rings R] [--poll-mask M]\n"
        "  blob-guest [--size BYTES] [--flags F]\n"
        "  blob-host3d --capset N [--size BYTES] [--cmd-hex HEX] [--blob-id I]\n"
        "  fence --capset N [--ring R] [--count K] [--warmup W] [--cmd-hex HEX]\n"
        "        [--no-ring-idx]\n"
        "  blob-scanout [--hold SECONDS] [--then COMMAND]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long capset = -1, rings = 1, ring = 0, count = 1000, warmup = 10, hold = 0;
    int64_t poll_mask = -1;
    size_t size = 1 << 20;
    uint32_t flags = VIRTGPU_BLOB_FLAG_USE_MAPPABLE;
    uint64_t blob_id = 1;
    const char *cmd_hex = NULL, *then = NULL, *sub = NULL;
    int ring_idx = 1;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (getenv("VIRTGPU_DEV"))
        dev_path = getenv("VIRTGPU_DEV");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(s) (strcmp(a, s) == 0 && v && ++i)
        if (OPT("--dev")) dev_path = v;
        else if (OPT("--capset")) capset = strtol(v, NULL, 0);
        else if (OPT("--rings")) rings = strtol(v, NULL, 0);
        else if (OPT("--ring")) ring = strtol(v, NULL, 0);
        else if (OPT("--count")) count = strtol(v, NULL, 0);
        else if (OPT("--warmup")) warmup = strtol(v, NULL, 0);
        else if (OPT("--poll-mask")) poll_mask = strtoll(v, NULL, 0);
        else if (OPT("--size")) size = strtoull(v, NULL, 0);
        else if (OPT("--flags")) flags = (uint32_t)strtoul(v, NULL, 0);
        else if (OPT("--blob-id")) blob_id = strtoull(v, NULL, 0);
        else if (OPT("--cmd-hex")) cmd_hex = v;
        else if (OPT("--hold")) hold = strtol(v, NULL, 0);
        else if (OPT("--then")) then = v;
        else if (!strcmp(a, "--no-ring-idx")) ring_idx = 0;
        else if (a[0] != '-' && !sub) sub = a;
        else usage();
    }
    if (!sub)
        usage();
    if (!strcmp(sub, "params"))
        return cmd_params();
    if (!strcmp(sub, "capsets"))
        return cmd_capsets();
    if (!strcmp(sub, "all"))
        return cmd_all();
    if (!strcmp(sub, "blob-guest"))
        return cmd_blob_guest(size, flags);
    if (!strcmp(sub, "blob-scanout"))
        return cmd_blob_scanout((int)hold, then);
    if (capset < 0 && strcmp(sub, "blob-host3d") && strcmp(sub, "fence") &&
        strcmp(sub, "context-init"))
        usage();
    if (capset < 0) {
        fprintf(stderr, "%s needs --capset N (0: the default context)\n", sub);
        return 2;
    }
    if (!strcmp(sub, "context-init"))
        return cmd_context_init((unsigned)capset, (unsigned)rings, poll_mask);
    if (!strcmp(sub, "blob-host3d"))
        return cmd_blob_host3d((unsigned)capset, size, cmd_hex, blob_id);
    if (!strcmp(sub, "fence"))
        return cmd_fence((unsigned)capset, (unsigned)ring, count, warmup < 0 ? 0 : warmup,
                         cmd_hex, ring_idx);
    usage();
    return 2;
}

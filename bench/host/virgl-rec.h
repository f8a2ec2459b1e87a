/*
 * The recording format of bench/host/virgl-record.c: the calls QEMU made
 * into virglrenderer, in order, as written by the LD_PRELOAD shim and read
 * by the two replayers (bench/qtest/virtio-gpu-bench.c through the device,
 * bench/host/virgl-replay.c straight into virglrenderer).
 *
 * A file is the 8 bytes VGLREC_MAGIC, then records: a header of two
 * little-endian u32 (op, payload length in bytes) and the payload, whose
 * fields are little-endian u32 unless marked u64:
 *
 *   CTX_CREATE      ctx_id, flags (capset id), name_len, name bytes
 *   CTX_DESTROY     ctx_id
 *   RES_CREATE      handle, target, format, bind, width, height, depth,
 *                   array_size, last_level, nr_samples, flags
 *   RES_UNREF       handle
 *   ATTACH_IOV      handle, 0, u64 total size of the backing
 *   DETACH_IOV      handle
 *   CTX_ATTACH      ctx_id, handle
 *   CTX_DETACH      ctx_id, handle
 *   SUBMIT          ctx_id, ndw, ndw dwords of virgl commands
 *   TRANSFER_WRITE  handle, ctx_id, level, stride, layer_stride,
 *                   x, y, z, w, h, d, u64 offset, u64 data_off, data_len,
 *                   0, data_len bytes: the backing's bytes at data_off
 *                   when the call was made (what the transfer reads)
 *   TRANSFER_READ   handle, ctx_id, level, stride, layer_stride,
 *                   x, y, z, w, h, d, u64 offset
 *   FENCE           kind (0: global, 1: context), ctx_id, ring_idx, flags,
 *                   u64 fence_id; QEMU makes the fence of a request right
 *                   after the calls of that request
 *
 * Transfers with an explicit iovec (QEMU's own readbacks, e.g. for a
 * screendump) are not recorded: they are display work, not guest work.
 */
#ifndef BENCH_VIRGL_REC_H
#define BENCH_VIRGL_REC_H

#define VGLREC_MAGIC "VGLREC1\n"

enum {
    VGLREC_CTX_CREATE = 1,
    VGLREC_CTX_DESTROY = 2,
    VGLREC_RES_CREATE = 3,
    VGLREC_RES_UNREF = 4,
    VGLREC_ATTACH_IOV = 5,
    VGLREC_DETACH_IOV = 6,
    VGLREC_CTX_ATTACH = 7,
    VGLREC_CTX_DETACH = 8,
    VGLREC_SUBMIT = 9,
    VGLREC_TRANSFER_WRITE = 10,
    VGLREC_TRANSFER_READ = 11,
    VGLREC_FENCE = 12,
    VGLREC_NR_OPS
};

/* Byte sizes of the fixed parts of the payloads */
#define VGLREC_TRANSFER_FIXED (11 * 4 + 8)              /* up to offset */
#define VGLREC_TRANSFER_WRITE_FIXED (VGLREC_TRANSFER_FIXED + 8 + 4 + 4)

/*
 * Reading: vglrec_parse() checks a whole file in memory and fills an
 * array of VGLRecOp, which point into the buffer.  Header-only, plain C,
 * shared by both replayers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct VGLRecOp {
    uint32_t op;
    uint32_t len;               /* payload bytes */
    const uint8_t *p;           /* payload */
    int fenced;                 /* a FENCE record follows this one */
    const uint8_t *fence;       /* ... its payload */
} VGLRecOp;

static inline uint32_t vglrec_u32(const uint8_t *p, size_t off)
{
    return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
           (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static inline uint64_t vglrec_u64(const uint8_t *p, size_t off)
{
    return vglrec_u32(p, off) | (uint64_t)vglrec_u32(p, off + 4) << 32;
}

/* The smallest payload of each op */
static inline uint32_t vglrec_min_len(uint32_t op)
{
    switch (op) {
    case VGLREC_CTX_CREATE: return 12;
    case VGLREC_CTX_DESTROY: return 4;
    case VGLREC_RES_CREATE: return 44;
    case VGLREC_RES_UNREF: return 4;
    case VGLREC_ATTACH_IOV: return 16;
    case VGLREC_DETACH_IOV: return 4;
    case VGLREC_CTX_ATTACH: return 8;
    case VGLREC_CTX_DETACH: return 8;
    case VGLREC_SUBMIT: return 8;
    case VGLREC_TRANSFER_WRITE: return VGLREC_TRANSFER_WRITE_FIXED;
    case VGLREC_TRANSFER_READ: return VGLREC_TRANSFER_FIXED;
    case VGLREC_FENCE: return 24;
    default: return UINT32_MAX;
    }
}

/*
 * Parse @buf (@size bytes).  Returns the number of ops (FENCE records are
 * folded into the op before them: fenced/fence; a FENCE with no op before
 * it, or after another FENCE, stays an op of its own), or -1 with a
 * message in @err (64 bytes) on a malformed file.  *@ops is malloc()ed.
 */
static inline long vglrec_parse(const uint8_t *buf, size_t size,
                                VGLRecOp **ops, char *err)
{
    size_t off = 8, cap = 1024;
    long n = 0;
    VGLRecOp *v;

    if (size < 8 || memcmp(buf, VGLREC_MAGIC, 8)) {
        strcpy(err, "not a virgl recording (magic)");
        return -1;
    }
    v = malloc(cap * sizeof(*v));
    while (off < size) {
        uint32_t op, len;

        if (size - off < 8) {
            strcpy(err, "truncated record header");
            break;              /* a recording cut short: keep what is whole */
        }
        op = vglrec_u32(buf, off);
        len = vglrec_u32(buf, off + 4);
        if (len > size - off - 8) {
            break;
        }
        if (op == 0 || op >= VGLREC_NR_OPS || len < vglrec_min_len(op)) {
            strcpy(err, "bad record");
            free(v);
            return -1;
        }
        if (op == VGLREC_FENCE && n > 0 && !v[n - 1].fenced &&
            v[n - 1].op != VGLREC_FENCE) {
            v[n - 1].fenced = 1;
            v[n - 1].fence = buf + off + 8;
        } else {
            if ((size_t)n == cap) {
                cap *= 2;
                v = realloc(v, cap * sizeof(*v));
            }
            v[n].op = op;
            v[n].len = len;
            v[n].p = buf + off + 8;
            v[n].fenced = op == VGLREC_FENCE;
            v[n].fence = op == VGLREC_FENCE ? buf + off + 8 : NULL;
            n++;
        }
        off += 8 + (size_t)len;
    }
    *ops = v;
    return n;
}

static inline const char *vglrec_op_name(uint32_t op)
{
    static const char *names[VGLREC_NR_OPS] = {
        "?", "ctx_create", "ctx_destroy", "res_create", "res_unref",
        "attach_iov", "detach_iov", "ctx_attach", "ctx_detach", "submit",
        "transfer_write", "transfer_read", "fence",
    };
    return op < VGLREC_NR_OPS ? names[op] : "?";
}

#endif

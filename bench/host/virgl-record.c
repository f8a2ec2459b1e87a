/*
 * virgl-record: an LD_PRELOAD shim that records the calls QEMU makes into
 * virglrenderer (the guest's virgl work as the device hands it over) into
 * the file named by $VIRGL_RECORD, in the format of virgl-rec.h, and then
 * makes the real call.  QEMU itself is not changed: the bench records with
 * the very binary it measures.
 *
 * With $VIRGL_RECORD_GATE set, only the calls made while that file
 * exists are recorded, and of those only the ones on resources and
 * contexts created while it existed: the bench's guest creates it
 * (through the 9p share of scripts/guest-run.sh) around the workload, so
 * that the console's updates (boot messages) stay out.
 *
 * Build: gcc -O2 -Wall -shared -fPIC -o virgl-record.so virgl-record.c -ldl
 * Use:   VIRGL_RECORD=/tmp/x.vglrec LD_PRELOAD=./virgl-record.so qemu-...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virgl-rec.h"

struct rec_box {
    uint32_t x, y, z, w, h, d;
};

struct rec_create_args {
    uint32_t handle, target, format, bind, width, height, depth;
    uint32_t array_size, last_level, nr_samples, flags;
};

/* What we know of each resource: its target and backing */
struct res_info {
    uint32_t handle;
    uint32_t target;
    int recorded;               /* its creation is in the recording */
    struct iovec *iov;
    int niov;
    uint64_t size;
    struct res_info *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *out;
static int disabled;
static unsigned long records;
static struct res_info *resources;
#define MAX_CTX 4096
static uint8_t ctx_recorded[MAX_CTX];

static void close_out(void)
{
    pthread_mutex_lock(&lock);
    if (out) {
        fclose(out);
        out = NULL;
    }
    pthread_mutex_unlock(&lock);
}

/* With the lock held: the output file, opened on first use */
static FILE *output(void)
{
    const char *path;

    if (out || disabled) {
        return out;
    }
    path = getenv("VIRGL_RECORD");
    if (!path || !*path) {
        disabled = 1;
        return NULL;
    }
    out = fopen(path, "wb");
    if (!out) {
        perror("virgl-record: fopen");
        disabled = 1;
        return NULL;
    }
    setvbuf(out, NULL, _IOFBF, 1 << 20);
    fwrite(VGLREC_MAGIC, 1, 8, out);
    atexit(close_out);
    return out;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* Is the gate open (or is there none)? */
static int gate_open(void)
{
    static const char *gate;
    static int checked;

    if (!checked) {
        gate = getenv("VIRGL_RECORD_GATE");
        checked = 1;
    }
    return !gate || !*gate || access(gate, F_OK) == 0;
}

/* One record: the fixed part @fixed, then @extra bytes (may be NULL) */
static void emit(uint32_t op, const uint8_t *fixed, uint32_t fixed_len,
                 const void *extra, uint32_t extra_len)
{
    uint8_t hdr[8];
    FILE *f = output();

    if (!f || !gate_open()) {
        return;
    }
    put32(hdr, op);
    put32(hdr + 4, fixed_len + extra_len);
    fwrite(hdr, 1, 8, f);
    fwrite(fixed, 1, fixed_len, f);
    if (extra_len) {
        fwrite(extra, 1, extra_len, f);
    }
    if (++records % 256 == 0) {
        fflush(f);
    }
}

static int gate_open(void);

static struct res_info *res_find(uint32_t handle, int create)
{
    struct res_info *r;

    for (r = resources; r; r = r->next) {
        if (r->handle == handle) {
            return r;
        }
    }
    if (!create) {
        return NULL;
    }
    r = calloc(1, sizeof(*r));
    r->handle = handle;
    r->next = resources;
    resources = r;
    return r;
}

static void res_forget(uint32_t handle)
{
    struct res_info **p;

    for (p = &resources; *p; p = &(*p)->next) {
        if ((*p)->handle == handle) {
            struct res_info *r = *p;
            *p = r->next;
            free(r);
            return;
        }
    }
}

/* Do ops on this resource / context go into the recording? */
static int res_recorded(uint32_t handle)
{
    struct res_info *r = res_find(handle, 0);

    return gate_open() && r && r->recorded;
}

static int ctx_is_recorded(uint32_t ctx_id)
{
    return gate_open() && (ctx_id == 0 || (ctx_id < MAX_CTX && ctx_recorded[ctx_id]));
}

/* Copy @len bytes at @off of the backing @iov into @dst */
static void iov_copy(const struct iovec *iov, int niov, uint64_t off,
                     uint8_t *dst, uint64_t len)
{
    for (int i = 0; i < niov && len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        uint64_t n = iov[i].iov_len - off;
        if (n > len) {
            n = len;
        }
        memcpy(dst, (uint8_t *)iov[i].iov_base + off, n);
        dst += n;
        len -= n;
        off = 0;
    }
}

#define REAL(ret, name, args) \
    typedef ret (*name##_fn) args; \
    static name##_fn real_##name; \
    if (!real_##name) { \
        real_##name = (name##_fn)dlsym(RTLD_NEXT, #name); \
    }

int virgl_renderer_context_create(uint32_t handle, uint32_t nlen,
                                  const char *name);
int virgl_renderer_context_create(uint32_t handle, uint32_t nlen,
                                  const char *name)
{
    REAL(int, virgl_renderer_context_create, (uint32_t, uint32_t, const char *));
    uint8_t b[12];

    pthread_mutex_lock(&lock);
    put32(b, handle);
    put32(b + 4, 0);
    put32(b + 8, nlen);
    emit(VGLREC_CTX_CREATE, b, sizeof(b), name, name ? nlen : 0);
    if (handle < MAX_CTX) {
        ctx_recorded[handle] = gate_open();
    }
    pthread_mutex_unlock(&lock);
    return real_virgl_renderer_context_create(handle, nlen, name);
}

int virgl_renderer_context_create_with_flags(uint32_t ctx_id, uint32_t flags,
                                             uint32_t nlen, const char *name);
int virgl_renderer_context_create_with_flags(uint32_t ctx_id, uint32_t flags,
                                             uint32_t nlen, const char *name)
{
    REAL(int, virgl_renderer_context_create_with_flags,
         (uint32_t, uint32_t, uint32_t, const char *));
    uint8_t b[12];

    pthread_mutex_lock(&lock);
    put32(b, ctx_id);
    put32(b + 4, flags);
    put32(b + 8, nlen);
    emit(VGLREC_CTX_CREATE, b, sizeof(b), name, name ? nlen : 0);
    if (ctx_id < MAX_CTX) {
        ctx_recorded[ctx_id] = gate_open();
    }
    pthread_mutex_unlock(&lock);
    return real_virgl_renderer_context_create_with_flags(ctx_id, flags, nlen, name);
}

void virgl_renderer_context_destroy(uint32_t handle);
void virgl_renderer_context_destroy(uint32_t handle)
{
    REAL(void, virgl_renderer_context_destroy, (uint32_t));
    uint8_t b[4];

    pthread_mutex_lock(&lock);
    put32(b, handle);
    if (ctx_is_recorded(handle)) {
        emit(VGLREC_CTX_DESTROY, b, sizeof(b), NULL, 0);
    }
    if (handle < MAX_CTX) {
        ctx_recorded[handle] = 0;
    }
    pthread_mutex_unlock(&lock);
    real_virgl_renderer_context_destroy(handle);
}

int virgl_renderer_resource_create(struct rec_create_args *args,
                                   struct iovec *iov, uint32_t num_iovs);
int virgl_renderer_resource_create(struct rec_create_args *args,
                                   struct iovec *iov, uint32_t num_iovs)
{
    REAL(int, virgl_renderer_resource_create,
         (struct rec_create_args *, struct iovec *, uint32_t));
    const uint32_t *a = (const uint32_t *)args;
    uint8_t b[44];

    pthread_mutex_lock(&lock);
    for (int i = 0; i < 11; i++) {
        put32(b + 4 * i, a[i]);
    }
    emit(VGLREC_RES_CREATE, b, sizeof(b), NULL, 0);
    res_find(args->handle, 1)->target = args->target;
    res_find(args->handle, 1)->recorded = gate_open();
    pthread_mutex_unlock(&lock);
    return real_virgl_renderer_resource_create(args, iov, num_iovs);
}

void virgl_renderer_resource_unref(uint32_t res_handle);
void virgl_renderer_resource_unref(uint32_t res_handle)
{
    REAL(void, virgl_renderer_resource_unref, (uint32_t));
    uint8_t b[4];

    pthread_mutex_lock(&lock);
    put32(b, res_handle);
    if (res_recorded(res_handle)) {
        emit(VGLREC_RES_UNREF, b, sizeof(b), NULL, 0);
    }
    res_forget(res_handle);
    pthread_mutex_unlock(&lock);
    real_virgl_renderer_resource_unref(res_handle);
}

int virgl_renderer_resource_attach_iov(int res_handle, struct iovec *iov,
                                       int num_iovs);
int virgl_renderer_resource_attach_iov(int res_handle, struct iovec *iov,
                                       int num_iovs)
{
    REAL(int, virgl_renderer_resource_attach_iov, (int, struct iovec *, int));
    uint8_t b[16];
    uint64_t size = 0;
    struct res_info *r;

    pthread_mutex_lock(&lock);
    for (int i = 0; i < num_iovs; i++) {
        size += iov[i].iov_len;
    }
    put32(b, (uint32_t)res_handle);
    put32(b + 4, 0);
    put64(b + 8, size);
    if (res_recorded((uint32_t)res_handle)) {
        emit(VGLREC_ATTACH_IOV, b, sizeof(b), NULL, 0);
    }
    r = res_find((uint32_t)res_handle, 1);
    r->iov = iov;               /* QEMU keeps the array until detach */
    r->niov = num_iovs;
    r->size = size;
    pthread_mutex_unlock(&lock);
    return real_virgl_renderer_resource_attach_iov(res_handle, iov, num_iovs);
}

void virgl_renderer_resource_detach_iov(int res_handle, struct iovec **iov,
                                        int *num_iovs);
void virgl_renderer_resource_detach_iov(int res_handle, struct iovec **iov,
                                        int *num_iovs)
{
    REAL(void, virgl_renderer_resource_detach_iov, (int, struct iovec **, int *));
    uint8_t b[4];
    struct res_info *r;

    pthread_mutex_lock(&lock);
    put32(b, (uint32_t)res_handle);
    if (res_recorded((uint32_t)res_handle)) {
        emit(VGLREC_DETACH_IOV, b, sizeof(b), NULL, 0);
    }
    r = res_find((uint32_t)res_handle, 0);
    if (r) {
        r->iov = NULL;
        r->niov = 0;
        r->size = 0;
    }
    pthread_mutex_unlock(&lock);
    real_virgl_renderer_resource_detach_iov(res_handle, iov, num_iovs);
}

static void ctx_res(uint32_t op, int ctx_id, int res_handle)
{
    uint8_t b[8];

    pthread_mutex_lock(&lock);
    put32(b, (uint32_t)ctx_id);
    put32(b + 4, (uint32_t)res_handle);
    if (ctx_is_recorded((uint32_t)ctx_id) && res_recorded((uint32_t)res_handle)) {
        emit(op, b, sizeof(b), NULL, 0);
    }
    pthread_mutex_unlock(&lock);
}

void virgl_renderer_ctx_attach_resource(int ctx_id, int res_handle);
void virgl_renderer_ctx_attach_resource(int ctx_id, int res_handle)
{
    REAL(void, virgl_renderer_ctx_attach_resource, (int, int));
    ctx_res(VGLREC_CTX_ATTACH, ctx_id, res_handle);
    real_virgl_renderer_ctx_attach_resource(ctx_id, res_handle);
}

void virgl_renderer_ctx_detach_resource(int ctx_id, int res_handle);
void virgl_renderer_ctx_detach_resource(int ctx_id, int res_handle)
{
    REAL(void, virgl_renderer_ctx_detach_resource, (int, int));
    ctx_res(VGLREC_CTX_DETACH, ctx_id, res_handle);
    real_virgl_renderer_ctx_detach_resource(ctx_id, res_handle);
}

int virgl_renderer_submit_cmd(void *buffer, int ctx_id, int ndw);
int virgl_renderer_submit_cmd(void *buffer, int ctx_id, int ndw)
{
    REAL(int, virgl_renderer_submit_cmd, (void *, int, int));
    uint8_t b[8];

    pthread_mutex_lock(&lock);
    put32(b, (uint32_t)ctx_id);
    put32(b + 4, (uint32_t)ndw);
    if (ctx_is_recorded((uint32_t)ctx_id)) {
        emit(VGLREC_SUBMIT, b, sizeof(b), buffer, ndw > 0 ? (uint32_t)ndw * 4 : 0);
    }
    pthread_mutex_unlock(&lock);
    return real_virgl_renderer_submit_cmd(buffer, ctx_id, ndw);
}

static uint32_t transfer_fixed(uint8_t *b, uint32_t handle, uint32_t ctx_id,
                               int level, uint32_t stride,
                               uint32_t layer_stride,
                               const struct rec_box *box, uint64_t offset)
{
    put32(b, handle);
    put32(b + 4, ctx_id);
    put32(b + 8, (uint32_t)level);
    put32(b + 12, stride);
    put32(b + 16, layer_stride);
    put32(b + 20, box->x);
    put32(b + 24, box->y);
    put32(b + 28, box->z);
    put32(b + 32, box->w);
    put32(b + 36, box->h);
    put32(b + 40, box->d);
    put64(b + 44, offset);
    return VGLREC_TRANSFER_FIXED;
}

int virgl_renderer_transfer_write_iov(uint32_t handle, uint32_t ctx_id,
                                      int level, uint32_t stride,
                                      uint32_t layer_stride,
                                      struct rec_box *box, uint64_t offset,
                                      struct iovec *iovec,
                                      unsigned int iovec_cnt);
int virgl_renderer_transfer_write_iov(uint32_t handle, uint32_t ctx_id,
                                      int level, uint32_t stride,
                                      uint32_t layer_stride,
                                      struct rec_box *box, uint64_t offset,
                                      struct iovec *iovec,
                                      unsigned int iovec_cnt)
{
    REAL(int, virgl_renderer_transfer_write_iov,
         (uint32_t, uint32_t, int, uint32_t, uint32_t, struct rec_box *,
          uint64_t, struct iovec *, unsigned int));

    pthread_mutex_lock(&lock);
    int rec = !iovec && res_recorded(handle) && ctx_is_recorded(ctx_id);
    pthread_mutex_unlock(&lock);
    if (rec) {
        uint8_t b[VGLREC_TRANSFER_WRITE_FIXED];
        struct res_info *r;
        uint64_t len = 0;
        uint8_t *data = NULL;

        pthread_mutex_lock(&lock);
        transfer_fixed(b, handle, ctx_id, level, stride, layer_stride, box,
                       offset);
        r = res_find(handle, 0);
        if (r && r->iov && offset < r->size) {
            /*
             * The bytes the transfer reads: a buffer's w bytes; for
             * images rows of stride bytes (16 bytes a pixel at most when
             * the stride is 0), layer by layer.
             */
            uint64_t d = box->d ? box->d : 1, h = box->h ? box->h : 1;
            if (r->target == 0) {
                len = box->w;
            } else if (layer_stride && d > 1) {
                len = (uint64_t)layer_stride * d;
            } else {
                len = (stride ? (uint64_t)stride : (uint64_t)box->w * 16) * h * d;
            }
            if (len > r->size - offset) {
                len = r->size - offset;
            }
            data = malloc(len ? len : 1);
            iov_copy(r->iov, r->niov, offset, data, len);
        }
        put64(b + VGLREC_TRANSFER_FIXED, offset);
        put32(b + VGLREC_TRANSFER_FIXED + 8, (uint32_t)len);
        put32(b + VGLREC_TRANSFER_FIXED + 12, 0);
        emit(VGLREC_TRANSFER_WRITE, b, sizeof(b), data, (uint32_t)len);
        free(data);
        pthread_mutex_unlock(&lock);
    }
    return real_virgl_renderer_transfer_write_iov(handle, ctx_id, level, stride,
                                                  layer_stride, box, offset,
                                                  iovec, iovec_cnt);
}

int virgl_renderer_transfer_read_iov(uint32_t handle, uint32_t ctx_id,
                                     uint32_t level, uint32_t stride,
                                     uint32_t layer_stride,
                                     struct rec_box *box, uint64_t offset,
                                     struct iovec *iov, int iovec_cnt);
int virgl_renderer_transfer_read_iov(uint32_t handle, uint32_t ctx_id,
                                     uint32_t level, uint32_t stride,
                                     uint32_t layer_stride,
                                     struct rec_box *box, uint64_t offset,
                                     struct iovec *iov, int iovec_cnt)
{
    REAL(int, virgl_renderer_transfer_read_iov,
         (uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, struct rec_box *,
          uint64_t, struct iovec *, int));

    pthread_mutex_lock(&lock);
    int rec = !iov && res_recorded(handle) && ctx_is_recorded(ctx_id);
    pthread_mutex_unlock(&lock);
    if (rec) {
        uint8_t b[VGLREC_TRANSFER_FIXED];

        pthread_mutex_lock(&lock);
        transfer_fixed(b, handle, ctx_id, (int)level, stride, layer_stride,
                       box, offset);
        emit(VGLREC_TRANSFER_READ, b, sizeof(b), NULL, 0);
        pthread_mutex_unlock(&lock);
    }
    return real_virgl_renderer_transfer_read_iov(handle, ctx_id, level, stride,
                                                 layer_stride, box, offset,
                                                 iov, iovec_cnt);
}

static void fence_rec(uint32_t kind, uint32_t ctx_id, uint32_t ring_idx,
                      uint32_t flags, uint64_t fence_id)
{
    uint8_t b[24];

    pthread_mutex_lock(&lock);
    put32(b, kind);
    put32(b + 4, ctx_id);
    put32(b + 8, ring_idx);
    put32(b + 12, flags);
    put64(b + 16, fence_id);
    emit(VGLREC_FENCE, b, sizeof(b), NULL, 0);
    pthread_mutex_unlock(&lock);
}

int virgl_renderer_create_fence(int client_fence_id, uint32_t ctx_id);
int virgl_renderer_create_fence(int client_fence_id, uint32_t ctx_id)
{
    REAL(int, virgl_renderer_create_fence, (int, uint32_t));
    fence_rec(0, ctx_id, 0, 0, (uint32_t)client_fence_id);
    return real_virgl_renderer_create_fence(client_fence_id, ctx_id);
}

int virgl_renderer_context_create_fence(uint32_t ctx_id, uint32_t flags,
                                        uint32_t ring_idx, uint64_t fence_id);
int virgl_renderer_context_create_fence(uint32_t ctx_id, uint32_t flags,
                                        uint32_t ring_idx, uint64_t fence_id)
{
    REAL(int, virgl_renderer_context_create_fence,
         (uint32_t, uint32_t, uint32_t, uint64_t));
    fence_rec(1, ctx_id, ring_idx, flags, fence_id);
    return real_virgl_renderer_context_create_fence(ctx_id, flags, ring_idx,
                                                    fence_id);
}

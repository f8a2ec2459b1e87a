/*
 * virgl-replay: replay a recording of bench/host/virgl-record.c straight
 * into virglrenderer, with no device in between: the limit that the
 * device's replay (bench/qtest/virtio-gpu-bench.c, "replay") is compared
 * with.  virglrenderer runs as QEMU's device runs it headless: its own
 * surfaceless EGL context (Mesa: llvmpipe here), fences signalled from its
 * sync thread.
 *
 * Build: gcc -O2 -Wall -o virgl-replay virgl-replay.c \
 *            $(pkg-config --cflags --libs virglrenderer) -lpthread
 *
 * usage: virgl-replay FILE [REPS]
 *
 * Each op is timed from the call to its return, and for ops that the
 * guest fenced (a FENCE record follows) until virglrenderer signalled the
 * fence, the way the device answers a fenced request.  Repetition 0 warms
 * up (shader compiles) and is not counted; after each repetition every
 * resource and context still alive is released (not timed).  Prints
 *   RESULT limit stream median_ms=.. p99_ms=.. reps=.. ops=..
 *   RESULT limit op median_us=.. p99_us=.. n=..
 *   RESULT limit op-<name> total_ms=.. median_us=.. p99_us=.. n=..
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#define VIRGL_RENDERER_UNSTABLE_APIS
#include <virglrenderer.h>

#include "virgl-rec.h"

struct replay_box {
    uint32_t x, y, z, w, h, d;
};

/* Fences: the newest signalled global fence and context fence */
static pthread_mutex_t fence_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fence_cond = PTHREAD_COND_INITIALIZER;
static uint32_t global_done;
static uint64_t ctx_done;

static void write_fence(void *cookie, uint32_t fence)
{
    (void)cookie;
    pthread_mutex_lock(&fence_lock);
    global_done = fence;
    pthread_cond_broadcast(&fence_cond);
    pthread_mutex_unlock(&fence_lock);
}

static void write_context_fence(void *cookie, uint32_t ctx_id,
                                uint32_t ring_idx, uint64_t fence_id)
{
    (void)cookie;
    (void)ctx_id;
    (void)ring_idx;
    pthread_mutex_lock(&fence_lock);
    if (fence_id > ctx_done) {
        ctx_done = fence_id;
    }
    pthread_cond_broadcast(&fence_cond);
    pthread_mutex_unlock(&fence_lock);
}

static struct virgl_renderer_callbacks cbs = {
    .version = 3,
    .write_fence = write_fence,
    .write_context_fence = write_context_fence,
};

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Wait until @done (global or context counter) reaches @id */
static int fence_wait(int global, uint64_t id)
{
    struct timespec ts;
    int ok;

    pthread_mutex_lock(&fence_lock);
    for (;;) {
        ok = global ? global_done >= (uint32_t)id : ctx_done >= id;
        if (ok) {
            break;
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        if (pthread_cond_timedwait(&fence_cond, &fence_lock, &ts) == ETIMEDOUT) {
            pthread_mutex_unlock(&fence_lock);
            virgl_renderer_poll();      /* in case no callback comes */
            pthread_mutex_lock(&fence_lock);
        }
    }
    pthread_mutex_unlock(&fence_lock);
    return 0;
}

/* Resources and contexts alive, to release them after a repetition */
#define MAX_IDS 65536
struct backing {
    uint8_t *mem;
    uint64_t size;
    struct iovec iov;
};
static uint8_t res_alive[MAX_IDS];
static struct backing backings[MAX_IDS];
static uint8_t ctx_alive[MAX_IDS];

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double pct(double *v, long n, int p)
{
    long i;

    if (n <= 0) {
        return 0;
    }
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    if (p == 50) {
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
    i = (n * p + 99) / 100 - 1;
    return v[i < 0 ? 0 : i];
}

static void free_backing(uint32_t h)
{
    free(backings[h].mem);
    memset(&backings[h], 0, sizeof(backings[h]));
}

int main(int argc, char **argv)
{
    FILE *f;
    uint8_t *buf;
    long size, nops, reps = 5;
    VGLRecOp *ops;
    char err[64] = "";
    uint32_t global_id = 0;
    uint64_t ctx_fence_id = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: virgl-replay FILE [REPS]\n");
        return 2;
    }
    if (argc > 2) {
        reps = atol(argv[2]);
    }
    if (reps < 2) {
        reps = 2;
    }
    f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc(size > 0 ? size : 1);
    if (fread(buf, 1, size, f) != (size_t)size) {
        perror("read");
        return 1;
    }
    fclose(f);
    nops = vglrec_parse(buf, size, &ops, err);
    if (nops < 0) {
        fprintf(stderr, "virgl-replay: %s\n", err);
        return 1;
    }

    /* virglrenderer refuses a NULL cookie */
    static int cookie;
    if (virgl_renderer_init(&cookie, VIRGL_RENDERER_USE_EGL |
                            VIRGL_RENDERER_USE_SURFACELESS |
                            VIRGL_RENDERER_THREAD_SYNC |
                            VIRGL_RENDERER_ASYNC_FENCE_CB, &cbs)) {
        fprintf(stderr, "virgl-replay: virgl_renderer_init failed\n");
        return 1;
    }

    double *totals = calloc(reps, sizeof(double));
    double *op_us = calloc((size_t)nops * (reps - 1), sizeof(double));
    double *type_us[VGLREC_NR_OPS];
    long type_n[VGLREC_NR_OPS] = { 0 };
    double type_total[VGLREC_NR_OPS] = { 0 };
    long nop_us = 0, errors = 0;
    for (int t = 0; t < VGLREC_NR_OPS; t++) {
        type_us[t] = calloc((size_t)nops * (reps - 1), sizeof(double));
    }

    for (long rep = 0; rep < reps; rep++) {
        double total = 0;

        for (long i = 0; i < nops; i++) {
            const VGLRecOp *o = &ops[i];
            const uint8_t *p = o->p;
            double t0;
            int r = 0;

            /* Guest memory writes happen before the request: not timed */
            if (o->op == VGLREC_TRANSFER_WRITE) {
                uint32_t h = vglrec_u32(p, 0);
                uint64_t data_off = vglrec_u64(p, VGLREC_TRANSFER_FIXED);
                uint32_t data_len = vglrec_u32(p, VGLREC_TRANSFER_FIXED + 8);
                if (h < MAX_IDS && backings[h].mem && data_off < backings[h].size &&
                    data_len <= backings[h].size - data_off &&
                    data_len <= o->len - VGLREC_TRANSFER_WRITE_FIXED) {
                    memcpy(backings[h].mem + data_off, p + VGLREC_TRANSFER_WRITE_FIXED,
                           data_len);
                }
            }

            t0 = now_us();
            switch (o->op) {
            case VGLREC_CTX_CREATE: {
                uint32_t id = vglrec_u32(p, 0), nlen = vglrec_u32(p, 8);
                if (nlen > o->len - 12) {
                    nlen = o->len - 12;
                }
                r = virgl_renderer_context_create_with_flags(
                        id, vglrec_u32(p, 4), nlen, (const char *)p + 12);
                if (!r && id < MAX_IDS) {
                    ctx_alive[id] = 1;
                }
                break;
            }
            case VGLREC_CTX_DESTROY: {
                uint32_t id = vglrec_u32(p, 0);
                virgl_renderer_context_destroy(id);
                if (id < MAX_IDS) {
                    ctx_alive[id] = 0;
                }
                break;
            }
            case VGLREC_RES_CREATE: {
                struct virgl_renderer_resource_create_args a = {
                    .handle = vglrec_u32(p, 0), .target = vglrec_u32(p, 4),
                    .format = vglrec_u32(p, 8), .bind = vglrec_u32(p, 12),
                    .width = vglrec_u32(p, 16), .height = vglrec_u32(p, 20),
                    .depth = vglrec_u32(p, 24), .array_size = vglrec_u32(p, 28),
                    .last_level = vglrec_u32(p, 32), .nr_samples = vglrec_u32(p, 36),
                    .flags = vglrec_u32(p, 40),
                };
                r = virgl_renderer_resource_create(&a, NULL, 0);
                if (!r && a.handle < MAX_IDS) {
                    res_alive[a.handle] = 1;
                }
                break;
            }
            case VGLREC_RES_UNREF: {
                uint32_t h = vglrec_u32(p, 0);
                virgl_renderer_resource_unref(h);
                if (h < MAX_IDS) {
                    res_alive[h] = 0;
                    free_backing(h);
                }
                break;
            }
            case VGLREC_ATTACH_IOV: {
                uint32_t h = vglrec_u32(p, 0);
                uint64_t sz = vglrec_u64(p, 8);
                if (h >= MAX_IDS || !sz || sz > (1ull << 31)) {
                    r = -1;
                    break;
                }
                free_backing(h);
                backings[h].mem = calloc(1, sz);
                backings[h].size = sz;
                backings[h].iov.iov_base = backings[h].mem;
                backings[h].iov.iov_len = sz;
                r = virgl_renderer_resource_attach_iov(h, &backings[h].iov, 1);
                break;
            }
            case VGLREC_DETACH_IOV: {
                uint32_t h = vglrec_u32(p, 0);
                struct iovec *iov = NULL;
                int n = 0;
                virgl_renderer_resource_detach_iov(h, &iov, &n);
                if (h < MAX_IDS) {
                    free_backing(h);
                }
                break;
            }
            case VGLREC_CTX_ATTACH:
                virgl_renderer_ctx_attach_resource(vglrec_u32(p, 0), vglrec_u32(p, 4));
                break;
            case VGLREC_CTX_DETACH:
                virgl_renderer_ctx_detach_resource(vglrec_u32(p, 0), vglrec_u32(p, 4));
                break;
            case VGLREC_SUBMIT: {
                uint32_t ndw = vglrec_u32(p, 4);
                if (ndw > (o->len - 8) / 4) {
                    ndw = (o->len - 8) / 4;
                }
                r = virgl_renderer_submit_cmd((void *)(p + 8), vglrec_u32(p, 0), ndw);
                break;
            }
            case VGLREC_TRANSFER_WRITE:
            case VGLREC_TRANSFER_READ: {
                struct replay_box box = {
                    vglrec_u32(p, 20), vglrec_u32(p, 24), vglrec_u32(p, 28),
                    vglrec_u32(p, 32), vglrec_u32(p, 36), vglrec_u32(p, 40),
                };
                if (o->op == VGLREC_TRANSFER_WRITE) {
                    r = virgl_renderer_transfer_write_iov(
                            vglrec_u32(p, 0), vglrec_u32(p, 4), vglrec_u32(p, 8),
                            vglrec_u32(p, 12), vglrec_u32(p, 16),
                            (struct virgl_box *)&box, vglrec_u64(p, 44), NULL, 0);
                } else {
                    r = virgl_renderer_transfer_read_iov(
                            vglrec_u32(p, 0), vglrec_u32(p, 4), vglrec_u32(p, 8),
                            vglrec_u32(p, 12), vglrec_u32(p, 16),
                            (struct virgl_box *)&box, vglrec_u64(p, 44), NULL, 0);
                }
                break;
            }
            case VGLREC_FENCE:
                break;                  /* the fence below */
            }
            if (r) {
                errors++;
            }
            if (o->fenced) {
                uint32_t kind = vglrec_u32(o->fence, 0);
                if (kind == 1) {
                    ctx_fence_id++;
                    virgl_renderer_context_create_fence(
                        vglrec_u32(o->fence, 4), vglrec_u32(o->fence, 12),
                        vglrec_u32(o->fence, 8), ctx_fence_id);
                    fence_wait(0, ctx_fence_id);
                } else {
                    global_id++;
                    virgl_renderer_create_fence((int)global_id, 0);
                    fence_wait(1, global_id);
                }
            }
            double dt = now_us() - t0;
            total += dt;
            if (rep > 0) {
                op_us[nop_us++] = dt;
                type_us[o->op][type_n[o->op]++] = dt;
                type_total[o->op] += dt;
            }
        }
        totals[rep] = total / 1000.0;

        /* Release what the stream left alive (not timed) */
        for (uint32_t h = 0; h < MAX_IDS; h++) {
            if (res_alive[h]) {
                struct iovec *iov = NULL;
                int n = 0;
                if (backings[h].mem) {
                    virgl_renderer_resource_detach_iov(h, &iov, &n);
                }
                virgl_renderer_resource_unref(h);
                res_alive[h] = 0;
            }
            free_backing(h);
            if (ctx_alive[h]) {
                virgl_renderer_context_destroy(h);
                ctx_alive[h] = 0;
            }
        }
        fprintf(stderr, "virgl-replay: repetition %ld: %.2f ms%s\n", rep, totals[rep],
                rep ? "" : " (warmup, not counted)");
    }

    printf("RESULT limit stream median_ms=%.3f p99_ms=%.3f cold_ms=%.3f reps=%ld ops=%ld errors=%ld\n",
           pct(totals + 1, reps - 1, 50), pct(totals + 1, reps - 1, 99), totals[0],
           reps - 1, nops, errors / reps);
    printf("RESULT limit op median_us=%.1f p99_us=%.1f n=%ld\n",
           pct(op_us, nop_us, 50), pct(op_us, nop_us, 99), nop_us);
    for (int t = 1; t < VGLREC_NR_OPS; t++) {
        if (type_n[t]) {
            printf("RESULT limit op-%s total_ms=%.3f median_us=%.1f p99_us=%.1f n=%ld\n",
                   vglrec_op_name(t), type_total[t] / 1000.0 / (reps - 1),
                   pct(type_us[t], type_n[t], 50), pct(type_us[t], type_n[t], 99),
                   type_n[t] / (reps - 1));
        }
    }
    return 0;
}

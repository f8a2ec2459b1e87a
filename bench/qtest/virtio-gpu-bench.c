/*
 * Benchmarks of our virtio-gpu-gl device driven by qtest, built against
 * the libqos of our tree (bench/qtest.sh links it with qos-test's main).
 * Not a test: it asserts only that the device answers correctly, never
 * how fast; it prints "RESULT <name> key=value..." lines on stdout.
 *
 *   map-unmap   RESOURCE_MAP_BLOB + RESOURCE_UNMAP_BLOB of one virgl host
 *               blob, $BENCH_N cycles: alone ("alone"), then while a
 *               second context keeps $BENCH_DEPTH fenced virgl clears in
 *               flight ("loaded": at least $BENCH_MIN_FENCES of those
 *               answered, default 200), with that context's fence latency
 *               ("fence-loaded", and "fence-alone" without the cycles)
 *   replay      the recording $BENCH_REPLAY (bench/host/virgl-record.c)
 *               replayed through the device, $BENCH_REPS times, each call
 *               as its virtio-gpu request, one at a time; and as many
 *               GET_DISPLAY_INFO requests ("transport": what the qtest
 *               protocol and the virtqueue cost without virglrenderer)
 *
 * Times are host wall-clock from making a request visible to the device
 * (kick) until the qtest sees it in the used ring; they include the qtest
 * protocol's round trips, like every qtest.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "qemu/module.h"
#include "libqos/qgraph.h"
#include "libqos/virtio-gpu.h"

#include "virgl-rec.h"

#define assert_resp qvirtio_gpu_assert_resp

#define FEATURES ((1ull << VIRTIO_GPU_F_VIRGL) | \
                  (1ull << VIRTIO_GPU_F_EDID) | \
                  (1ull << VIRTIO_GPU_F_RESOURCE_BLOB) | \
                  (1ull << VIRTIO_GPU_F_CONTEXT_INIT))

#define VIRGL_CMD0(cmd, obj, len) ((cmd) | ((obj) << 8) | ((len) << 16))
#define VIRGL_CCMD_CLEAR_TEXTURE 47
#define VIRGL_CCMD_PIPE_RESOURCE_CREATE 48
#define VIRGL_FORMAT_B8G8R8A8_UNORM 1
#define VIRGL_FORMAT_R8_UNORM 64
#define VIRGL_BIND_RENDER_TARGET (1 << 1)
#define VIRGL_BIND_SAMPLER_VIEW (1 << 3)
#define VIRGL_BIND_VERTEX_BUFFER (1 << 4)
#define VIRGL_RESOURCE_FLAG_MAP_PERSISTENT (1 << 1)
#define VIRGL_RESOURCE_FLAG_MAP_COHERENT (1 << 2)
#define PIPE_BUFFER 0
#define PIPE_TEXTURE_2D 2

#define MAP_CTX 1
#define WORK_CTX 2
#define BLOB_RES 10
#define TEX_RES 20
#define BLOB_SIZE (64 * 1024)
#define TEX_SIZE 256

static long env_long(const char *name, long def)
{
    const char *s = getenv(name);

    return s && *s ? atol(s) : def;
}

static double now_us(void)
{
    return g_get_monotonic_time();
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Median (p = 50) or the p-th percentile of @v; sorts it */
static double pct(GArray *v, int p)
{
    double *d = (double *)v->data;
    long n = v->len, i;

    if (!n) {
        return 0;
    }
    qsort(d, n, sizeof(*d), cmp_double);
    if (p == 50) {
        return n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
    }
    i = (n * p + 99) / 100 - 1;
    return d[i < 0 ? 0 : i];
}

static void push(GArray *v, double x)
{
    g_array_append_val(v, x);
}

/* ---- requests built here, sent with the driver's asynchronous API ---- */

static QVirtioGPUCmd *add_cmd(QVirtioGPU *gpu, const void *req, size_t len,
                              const void *data, size_t data_len,
                              size_t resp_len)
{
    return qvirtio_gpu_cmd_add(gpu, gpu->ctrlq, req, len, data, data_len,
                               resp_len);
}

/*
 * qvirtio_gpu_cmd_add() takes descriptors in order and starts again at 0
 * only once the queue is idle: is there room for @ndesc more?
 */
static bool room(QVirtioGPU *gpu, uint32_t ndesc)
{
    return !gpu->inflight || gpu->ctrlq->free_head + ndesc <= gpu->ctrlq->size;
}

static uint32_t submit_sync(QVirtioGPU *gpu, uint32_t ctx, const void *cmds,
                            uint32_t size)
{
    return qvirtio_gpu_submit_3d(gpu, ctx, cmds, size);
}

static uint32_t create_3d(QVirtioGPU *gpu, uint32_t id, uint32_t target,
                          uint32_t format, uint32_t bind, uint32_t width,
                          uint32_t height)
{
    struct virtio_gpu_resource_create_3d c = {
        .resource_id = cpu_to_le32(id),
        .target = cpu_to_le32(target),
        .format = cpu_to_le32(format),
        .bind = cpu_to_le32(bind),
        .width = cpu_to_le32(width),
        .height = cpu_to_le32(height),
        .depth = cpu_to_le32(1),
        .array_size = cpu_to_le32(1),
    };
    struct virtio_gpu_ctrl_hdr resp;

    qvirtio_gpu_hdr_init(&c.hdr, VIRTIO_GPU_CMD_RESOURCE_CREATE_3D);
    return qvirtio_gpu_cmd(gpu, &c, sizeof(c), NULL, 0, &resp, sizeof(resp));
}

/* ---- map-unmap ---------------------------------------------------------- */

typedef struct Work {
    QVirtioGPUCmd *cmd;
    struct virtio_gpu_cmd_submit req;
    double t0;
} Work;

typedef struct Bench {
    QVirtioGPU *gpu;
    uint32_t clear[13];
    Work *work;                 /* WORK_CTX's fenced clears in flight */
    int depth;
    int busy;                   /* how many of work[] are in flight */
    bool refill;                /* submit new clears as old ones finish */
    uint64_t fence_id;
    GArray *fence_us;           /* latencies of the finished clears */
} Bench;

/* One more fenced clear of WORK_CTX, if there is room (3 descriptors) */
static void work_submit(Bench *b, Work *w, uint32_t reserve)
{
    if (!room(b->gpu, 3 + reserve)) {
        return;
    }
    memset(&w->req, 0, sizeof(w->req));
    qvirtio_gpu_hdr_init(&w->req.hdr, VIRTIO_GPU_CMD_SUBMIT_3D);
    w->req.hdr.ctx_id = cpu_to_le32(WORK_CTX);
    w->req.size = cpu_to_le32(sizeof(b->clear));
    qvirtio_gpu_hdr_set_fence(&w->req.hdr, ++b->fence_id, 0);
    w->cmd = add_cmd(b->gpu, &w->req, sizeof(w->req), b->clear,
                     sizeof(b->clear), sizeof(struct virtio_gpu_ctrl_hdr));
    qvirtio_gpu_kick(b->gpu, b->gpu->ctrlq);
    w->t0 = now_us();
    b->busy++;
}

/* @c finished: if it is one of ours, account for it; true if it was */
static bool work_done(Bench *b, QVirtioGPUCmd *c, double t, uint32_t reserve)
{
    struct virtio_gpu_ctrl_hdr resp;
    int i;

    for (i = 0; i < b->depth; i++) {
        Work *w = &b->work[i];

        if (w->cmd != c) {
            continue;
        }
        assert_resp(qvirtio_gpu_cmd_response(b->gpu, c, &resp, sizeof(resp)),
                    VIRTIO_GPU_RESP_OK_NODATA);
        qvirtio_gpu_check_fence(&w->req.hdr, &resp);
        push(b->fence_us, t - w->t0);
        qvirtio_gpu_cmd_free(b->gpu, c);
        w->cmd = NULL;
        b->busy--;
        if (b->refill) {
            work_submit(b, w, reserve);
        }
        return true;
    }
    return false;
}

/* Refill the clears that found no room earlier */
static void work_top_up(Bench *b, uint32_t reserve)
{
    int i;

    for (i = 0; b->refill && i < b->depth; i++) {
        if (!b->work[i].cmd) {
            work_submit(b, &b->work[i], reserve);
        }
    }
}

/* Wait for @cmd, handling the clears that finish meanwhile */
static double wait_for(Bench *b, QVirtioGPUCmd *cmd, uint32_t reserve)
{
    for (;;) {
        QVirtioGPUCmd *c = qvirtio_gpu_cmd_wait_next(b->gpu, b->gpu->ctrlq,
                                                     QVIRTIO_GPU_TIMEOUT_US);
        double t = now_us();

        if (c == cmd) {
            return t;
        }
        g_assert_true(work_done(b, c, t, reserve));
    }
}

/* Let every request finish, so that descriptors start again at 0 */
static void drain(Bench *b)
{
    bool refill = b->refill;

    b->refill = false;
    while (b->gpu->inflight) {
        QVirtioGPUCmd *c = qvirtio_gpu_cmd_wait_next(b->gpu, b->gpu->ctrlq,
                                                     QVIRTIO_GPU_TIMEOUT_US);

        g_assert_true(work_done(b, c, now_us(), 0));
    }
    b->refill = refill;
}

/* One MAP_BLOB or UNMAP_BLOB; returns its time in µs */
static double map_op(Bench *b, bool map, bool loaded)
{
    struct virtio_gpu_resource_map_blob m = { 0 };
    struct virtio_gpu_resource_unmap_blob u = { 0 };
    struct virtio_gpu_resp_map_info resp;
    QVirtioGPUCmd *cmd;
    double t0, t1;

    if (!room(b->gpu, 2)) {
        drain(b);
    }
    /* clears that found no room when they were due go in now */
    work_top_up(b, 4);
    if (map) {
        qvirtio_gpu_hdr_init(&m.hdr, VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB);
        m.resource_id = cpu_to_le32(BLOB_RES);
        m.offset = cpu_to_le64(0);
        cmd = add_cmd(b->gpu, &m, sizeof(m), NULL, 0, sizeof(resp));
    } else {
        qvirtio_gpu_hdr_init(&u.hdr, VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB);
        u.resource_id = cpu_to_le32(BLOB_RES);
        cmd = add_cmd(b->gpu, &u, sizeof(u), NULL, 0,
                      sizeof(struct virtio_gpu_ctrl_hdr));
    }
    qvirtio_gpu_kick(b->gpu, b->gpu->ctrlq);
    t0 = now_us();
    t1 = loaded ? wait_for(b, cmd, 4) : wait_for(b, cmd, 0);
    assert_resp(qvirtio_gpu_cmd_response(b->gpu, cmd, NULL, 0),
                map ? VIRTIO_GPU_RESP_OK_MAP_INFO : VIRTIO_GPU_RESP_OK_NODATA);
    qvirtio_gpu_cmd_free(b->gpu, cmd);
    return t1 - t0;
}

static void report_cycles(const char *name, GArray *cycle, GArray *map_us,
                          GArray *unmap_us, double total_us, Bench *b)
{
    printf("RESULT %s median_us=%.1f p99_us=%.1f cycles_per_s=%.1f "
           "map_median_us=%.1f map_p99_us=%.1f unmap_median_us=%.1f "
           "unmap_p99_us=%.1f n=%u\n", name, pct(cycle, 50), pct(cycle, 99),
           cycle->len / (total_us / 1e6), pct(map_us, 50), pct(map_us, 99),
           pct(unmap_us, 50), pct(unmap_us, 99), cycle->len);
    if (b) {
        printf("RESULT fence-%s median_us=%.1f p99_us=%.1f n=%u depth=%d\n",
               name, pct(b->fence_us, 50), pct(b->fence_us, 99),
               b->fence_us->len, b->depth);
    }
    fflush(stdout);
}

static void bench_map_unmap(void *obj, void *data, QGuestAllocator *alloc)
{
    QVirtioGPU *gpu = obj;
    long n = env_long("BENCH_N", 1000), i;
    long min_fences = env_long("BENCH_MIN_FENCES", 200);
    Bench b = {
        .gpu = gpu,
        .depth = env_long("BENCH_DEPTH", 2),
        .fence_us = g_array_new(false, false, sizeof(double)),
    };
    uint32_t blob_create[12] = {
        cpu_to_le32(VIRGL_CMD0(VIRGL_CCMD_PIPE_RESOURCE_CREATE, 0, 11)),
        cpu_to_le32(PIPE_BUFFER), cpu_to_le32(VIRGL_FORMAT_R8_UNORM),
        cpu_to_le32(VIRGL_BIND_VERTEX_BUFFER),
        cpu_to_le32(BLOB_SIZE), cpu_to_le32(1), cpu_to_le32(1),
        cpu_to_le32(1), 0, 0,
        cpu_to_le32(VIRGL_RESOURCE_FLAG_MAP_PERSISTENT |
                    VIRGL_RESOURCE_FLAG_MAP_COHERENT),
        cpu_to_le32(1),                                 /* blob id */
    };
    g_autoptr(GArray) cycle = g_array_new(false, false, sizeof(double));
    g_autoptr(GArray) map_us = g_array_new(false, false, sizeof(double));
    g_autoptr(GArray) unmap_us = g_array_new(false, false, sizeof(double));
    double total, t0;
    int k;

    g_assert_cmpint(b.depth, >=, 1);
    b.work = g_new0(Work, b.depth);
    g_assert_cmphex(qvirtio_gpu_set_features(gpu, FEATURES) & FEATURES, ==,
                    FEATURES);
    g_assert_true(qvirtio_gpu_hostmem_map(gpu));

    /* The blob: a virgl buffer of MAP_CTX, mappable */
    assert_resp(qvirtio_gpu_ctx_create(gpu, MAP_CTX, VIRTIO_GPU_CAPSET_VIRGL2,
                                       "map"), VIRTIO_GPU_RESP_OK_NODATA);
    assert_resp(submit_sync(gpu, MAP_CTX, blob_create, sizeof(blob_create)),
                VIRTIO_GPU_RESP_OK_NODATA);
    assert_resp(qvirtio_gpu_resource_create_blob(
                    gpu, MAP_CTX, BLOB_RES, VIRTIO_GPU_BLOB_MEM_HOST3D,
                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE, 1, BLOB_SIZE, NULL, 0),
                VIRTIO_GPU_RESP_OK_NODATA);
    assert_resp(qvirtio_gpu_ctx_attach_resource(gpu, MAP_CTX, BLOB_RES),
                VIRTIO_GPU_RESP_OK_NODATA);

    /* The other context's work: clears of a 256x256 texture */
    assert_resp(qvirtio_gpu_ctx_create(gpu, WORK_CTX, VIRTIO_GPU_CAPSET_VIRGL2,
                                       "work"), VIRTIO_GPU_RESP_OK_NODATA);
    assert_resp(create_3d(gpu, TEX_RES, PIPE_TEXTURE_2D,
                          VIRGL_FORMAT_B8G8R8A8_UNORM,
                          VIRGL_BIND_RENDER_TARGET | VIRGL_BIND_SAMPLER_VIEW,
                          TEX_SIZE, TEX_SIZE), VIRTIO_GPU_RESP_OK_NODATA);
    assert_resp(qvirtio_gpu_ctx_attach_resource(gpu, WORK_CTX, TEX_RES),
                VIRTIO_GPU_RESP_OK_NODATA);
    b.clear[0] = cpu_to_le32(VIRGL_CMD0(VIRGL_CCMD_CLEAR_TEXTURE, 0, 12));
    b.clear[1] = cpu_to_le32(TEX_RES);
    b.clear[6] = cpu_to_le32(TEX_SIZE);
    b.clear[7] = cpu_to_le32(TEX_SIZE);
    b.clear[8] = cpu_to_le32(1);
    b.clear[9] = cpu_to_le32(0xff336699);
    assert_resp(submit_sync(gpu, WORK_CTX, b.clear, sizeof(b.clear)),
                VIRTIO_GPU_RESP_OK_NODATA);

    /* Warm up both paths */
    for (i = 0; i < 20; i++) {
        map_op(&b, true, false);
        map_op(&b, false, false);
    }

    /* Alone */
    total = 0;
    for (i = 0; i < n; i++) {
        double m = map_op(&b, true, false), u = map_op(&b, false, false);

        push(map_us, m);
        push(unmap_us, u);
        push(cycle, m + u);
        total += m + u;
    }
    report_cycles("alone", cycle, map_us, unmap_us, total, NULL);

    /* The other context alone: its fence latency without the cycles */
    drain(&b);
    b.refill = true;
    t0 = now_us();
    for (k = 0; k < b.depth; k++) {
        work_submit(&b, &b.work[k], 0);
    }
    while (b.fence_us->len < (guint)n) {
        QVirtioGPUCmd *c;

        if (!b.busy) {
            drain(&b);          /* out of descriptors: start again */
            work_top_up(&b, 0);
        }
        c = qvirtio_gpu_cmd_wait_next(gpu, gpu->ctrlq, QVIRTIO_GPU_TIMEOUT_US);
        g_assert_true(work_done(&b, c, now_us(), 0));
    }
    b.refill = false;
    drain(&b);
    printf("RESULT fence-alone median_us=%.1f p99_us=%.1f n=%u depth=%d "
           "fences_per_s=%.1f\n", pct(b.fence_us, 50), pct(b.fence_us, 99),
           b.fence_us->len, b.depth, b.fence_us->len / ((now_us() - t0) / 1e6));
    fflush(stdout);
    g_array_set_size(b.fence_us, 0);

    /* Loaded: the cycles while the other context keeps working */
    g_array_set_size(cycle, 0);
    g_array_set_size(map_us, 0);
    g_array_set_size(unmap_us, 0);
    b.refill = true;
    work_top_up(&b, 4);
    total = 0;
    /* n cycles, and more until the other context has min_fences answers */
    for (i = 0; i < n || b.fence_us->len < (guint)min_fences; i++) {
        double m = map_op(&b, true, true), u = map_op(&b, false, true);

        push(map_us, m);
        push(unmap_us, u);
        push(cycle, m + u);
        total += m + u;
    }
    b.refill = false;
    drain(&b);
    report_cycles("loaded", cycle, map_us, unmap_us, total, &b);
    g_array_free(b.fence_us, true);
    g_free(b.work);
}

/* ---- replay --------------------------------------------------------------- */

#define MAX_IDS 65536

typedef struct Replay {
    QVirtioGPU *gpu;
    QGuestAllocator *alloc;
    uint64_t backing[MAX_IDS];          /* guest address, 0: none */
    uint64_t backing_size[MAX_IDS];
    uint8_t res_alive[MAX_IDS];
    uint8_t ctx_alive[MAX_IDS];
    uint64_t fence_id;
} Replay;

/*
 * Send one request (@data: a trailing buffer, as Linux sends command
 * streams and memory entries), fenced if @fence (a FENCE record), and
 * wait for it; returns µs from kick to answer and the response type.
 */
static double replay_send(Replay *r, void *req, size_t len, const void *data,
                   size_t data_len, const uint8_t *fence, uint32_t *type)
{
    struct virtio_gpu_ctrl_hdr *hdr = req;
    QVirtioGPUCmd *cmd;
    double t0, t1;

    if (fence) {
        bool ctx_fence = vglrec_u32(fence, 0) == 1;

        if (ctx_fence && !hdr->ctx_id) {
            hdr->ctx_id = cpu_to_le32(vglrec_u32(fence, 4));
        }
        qvirtio_gpu_hdr_set_fence(hdr, ++r->fence_id,
                                  ctx_fence ? (int)vglrec_u32(fence, 8) : -1);
    }
    cmd = add_cmd(r->gpu, req, len, data, data_len,
                  sizeof(struct virtio_gpu_resp_display_info));
    qvirtio_gpu_kick(r->gpu, r->gpu->ctrlq);
    t0 = now_us();
    qvirtio_gpu_cmd_wait(r->gpu, cmd, QVIRTIO_GPU_TIMEOUT_US);
    t1 = now_us();
    *type = qvirtio_gpu_cmd_response(r->gpu, cmd, NULL, 0);
    qvirtio_gpu_cmd_free(r->gpu, cmd);
    return t1 - t0;
}

/* One op of the recording as its virtio-gpu request; µs, or < 0: skipped */
static double replay_op(Replay *r, const VGLRecOp *o, uint32_t *type)
{
    const uint8_t *p = o->p;
    const uint8_t *fence = o->fenced ? o->fence : NULL;

    *type = VIRTIO_GPU_RESP_OK_NODATA;
    switch (o->op) {
    case VGLREC_CTX_CREATE: {
        struct virtio_gpu_ctx_create c = { 0 };
        uint32_t id = vglrec_u32(p, 0), nlen = vglrec_u32(p, 8);

        qvirtio_gpu_hdr_init(&c.hdr, VIRTIO_GPU_CMD_CTX_CREATE);
        c.hdr.ctx_id = cpu_to_le32(id);
        nlen = MIN(nlen, MIN(o->len - 12, sizeof(c.debug_name)));
        c.nlen = cpu_to_le32(nlen);
        memcpy(c.debug_name, p + 12, nlen);
        c.context_init = cpu_to_le32(vglrec_u32(p, 4) & 0xff);
        if (id < MAX_IDS) {
            r->ctx_alive[id] = 1;
        }
        return replay_send(r, &c, sizeof(c), NULL, 0, fence, type);
    }
    case VGLREC_CTX_DESTROY: {
        struct virtio_gpu_ctrl_hdr h;
        uint32_t id = vglrec_u32(p, 0);

        qvirtio_gpu_hdr_init(&h, VIRTIO_GPU_CMD_CTX_DESTROY);
        h.ctx_id = cpu_to_le32(id);
        if (id < MAX_IDS) {
            r->ctx_alive[id] = 0;
        }
        return replay_send(r, &h, sizeof(h), NULL, 0, fence, type);
    }
    case VGLREC_RES_CREATE: {
        struct virtio_gpu_resource_create_3d c = {
            .resource_id = cpu_to_le32(vglrec_u32(p, 0)),
            .target = cpu_to_le32(vglrec_u32(p, 4)),
            .format = cpu_to_le32(vglrec_u32(p, 8)),
            .bind = cpu_to_le32(vglrec_u32(p, 12)),
            .width = cpu_to_le32(vglrec_u32(p, 16)),
            .height = cpu_to_le32(vglrec_u32(p, 20)),
            .depth = cpu_to_le32(vglrec_u32(p, 24)),
            .array_size = cpu_to_le32(vglrec_u32(p, 28)),
            .last_level = cpu_to_le32(vglrec_u32(p, 32)),
            .nr_samples = cpu_to_le32(vglrec_u32(p, 36)),
            .flags = cpu_to_le32(vglrec_u32(p, 40)),
        };
        uint32_t h = vglrec_u32(p, 0);

        qvirtio_gpu_hdr_init(&c.hdr, VIRTIO_GPU_CMD_RESOURCE_CREATE_3D);
        if (h < MAX_IDS) {
            r->res_alive[h] = 1;
        }
        return replay_send(r, &c, sizeof(c), NULL, 0, fence, type);
    }
    case VGLREC_RES_UNREF: {
        struct virtio_gpu_resource_unref u = { 0 };
        uint32_t h = vglrec_u32(p, 0);

        qvirtio_gpu_hdr_init(&u.hdr, VIRTIO_GPU_CMD_RESOURCE_UNREF);
        u.resource_id = cpu_to_le32(h);
        if (h < MAX_IDS) {
            r->res_alive[h] = 0;
        }
        return replay_send(r, &u, sizeof(u), NULL, 0, fence, type);
    }
    case VGLREC_ATTACH_IOV: {
        struct virtio_gpu_resource_attach_backing a = { 0 };
        struct virtio_gpu_mem_entry ent = { 0 };
        uint32_t h = vglrec_u32(p, 0);
        uint64_t size = vglrec_u64(p, 8);

        if (h >= MAX_IDS || !size || size > 256 * 1024 * 1024) {
            return -1;
        }
        if (r->backing[h] && r->backing_size[h] < size) {
            guest_free(r->alloc, r->backing[h]);
            r->backing[h] = 0;
        }
        if (!r->backing[h]) {
            r->backing[h] = guest_alloc(r->alloc, size);
            r->backing_size[h] = size;
        }
        qvirtio_gpu_hdr_init(&a.hdr, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
        a.resource_id = cpu_to_le32(h);
        a.nr_entries = cpu_to_le32(1);
        ent.addr = cpu_to_le64(r->backing[h]);
        ent.length = cpu_to_le32(size);
        return replay_send(r, &a, sizeof(a), &ent, sizeof(ent), fence, type);
    }
    case VGLREC_DETACH_IOV: {
        struct virtio_gpu_resource_detach_backing d = { 0 };

        qvirtio_gpu_hdr_init(&d.hdr, VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING);
        d.resource_id = cpu_to_le32(vglrec_u32(p, 0));
        return replay_send(r, &d, sizeof(d), NULL, 0, fence, type);
    }
    case VGLREC_CTX_ATTACH:
    case VGLREC_CTX_DETACH: {
        struct virtio_gpu_ctx_resource c = { 0 };

        qvirtio_gpu_hdr_init(&c.hdr, o->op == VGLREC_CTX_ATTACH ?
                             VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE :
                             VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE);
        c.hdr.ctx_id = cpu_to_le32(vglrec_u32(p, 0));
        c.resource_id = cpu_to_le32(vglrec_u32(p, 4));
        return replay_send(r, &c, sizeof(c), NULL, 0, fence, type);
    }
    case VGLREC_SUBMIT: {
        struct virtio_gpu_cmd_submit s = { 0 };
        uint32_t bytes = MIN(vglrec_u32(p, 4) * 4ull, o->len - 8);

        qvirtio_gpu_hdr_init(&s.hdr, VIRTIO_GPU_CMD_SUBMIT_3D);
        s.hdr.ctx_id = cpu_to_le32(vglrec_u32(p, 0));
        s.size = cpu_to_le32(bytes);
        return replay_send(r, &s, sizeof(s), p + 8, bytes, fence, type);
    }
    case VGLREC_TRANSFER_WRITE:
    case VGLREC_TRANSFER_READ: {
        struct virtio_gpu_transfer_host_3d t = {
            .box = {
                .x = cpu_to_le32(vglrec_u32(p, 20)),
                .y = cpu_to_le32(vglrec_u32(p, 24)),
                .z = cpu_to_le32(vglrec_u32(p, 28)),
                .w = cpu_to_le32(vglrec_u32(p, 32)),
                .h = cpu_to_le32(vglrec_u32(p, 36)),
                .d = cpu_to_le32(vglrec_u32(p, 40)),
            },
            .offset = cpu_to_le64(vglrec_u64(p, 44)),
            .resource_id = cpu_to_le32(vglrec_u32(p, 0)),
            .level = cpu_to_le32(vglrec_u32(p, 8)),
            .stride = cpu_to_le32(vglrec_u32(p, 12)),
            .layer_stride = cpu_to_le32(vglrec_u32(p, 16)),
        };
        uint32_t h = vglrec_u32(p, 0);

        if (o->op == VGLREC_TRANSFER_WRITE) {
            /* the guest wrote its data before the request: not timed */
            uint64_t off = vglrec_u64(p, VGLREC_TRANSFER_FIXED);
            uint32_t n = vglrec_u32(p, VGLREC_TRANSFER_FIXED + 8);

            if (h < MAX_IDS && r->backing[h] && off < r->backing_size[h] &&
                n <= r->backing_size[h] - off &&
                n <= o->len - VGLREC_TRANSFER_WRITE_FIXED) {
                qtest_memwrite(r->gpu->qts, r->backing[h] + off,
                               p + VGLREC_TRANSFER_WRITE_FIXED, n);
            }
        }
        qvirtio_gpu_hdr_init(&t.hdr, o->op == VGLREC_TRANSFER_WRITE ?
                             VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D :
                             VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D);
        t.hdr.ctx_id = cpu_to_le32(vglrec_u32(p, 4));
        return replay_send(r, &t, sizeof(t), NULL, 0, fence, type);
    }
    case VGLREC_FENCE: {
        /* a fence of a request that made no virglrenderer call */
        if (vglrec_u32(p, 0) == 1) {
            struct virtio_gpu_cmd_submit s = { 0 };

            qvirtio_gpu_hdr_init(&s.hdr, VIRTIO_GPU_CMD_SUBMIT_3D);
            s.hdr.ctx_id = cpu_to_le32(vglrec_u32(p, 4));
            return replay_send(r, &s, sizeof(s), NULL, 0, p, type);
        } else {
            struct virtio_gpu_ctrl_hdr h;

            qvirtio_gpu_hdr_init(&h, VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
            return replay_send(r, &h, sizeof(h), NULL, 0, p, type);
        }
    }
    }
    return -1;
}

/* Release what the stream left alive (not timed) */
static void replay_cleanup(Replay *r)
{
    uint32_t i, type;

    for (i = 0; i < MAX_IDS; i++) {
        if (r->res_alive[i]) {
            struct virtio_gpu_resource_unref u = { 0 };

            qvirtio_gpu_hdr_init(&u.hdr, VIRTIO_GPU_CMD_RESOURCE_UNREF);
            u.resource_id = cpu_to_le32(i);
            replay_send(r, &u, sizeof(u), NULL, 0, NULL, &type);
            r->res_alive[i] = 0;
        }
        if (r->ctx_alive[i]) {
            struct virtio_gpu_ctrl_hdr h;

            qvirtio_gpu_hdr_init(&h, VIRTIO_GPU_CMD_CTX_DESTROY);
            h.ctx_id = cpu_to_le32(i);
            replay_send(r, &h, sizeof(h), NULL, 0, NULL, &type);
            r->ctx_alive[i] = 0;
        }
    }
}

static void print_series(const char *who, const char *name, GArray *ms,
                         double cold)
{
    printf("RESULT %s %s median_ms=%.3f p99_ms=%.3f cold_ms=%.3f reps=%u\n",
           who, name, pct(ms, 50), pct(ms, 99), cold, ms->len);
}

static void bench_replay(void *obj, void *data, QGuestAllocator *alloc)
{
    QVirtioGPU *gpu = obj;
    const char *path = getenv("BENCH_REPLAY");
    long reps = MAX(env_long("BENCH_REPS", 5), 2), i, rep;
    g_autofree gchar *buf = NULL;
    g_autofree VGLRecOp *ops = NULL;
    gsize size;
    char err[64] = "";
    long nops, errors = 0, skipped = 0;
    g_autofree Replay *r = g_new0(Replay, 1);
    g_autoptr(GArray) totals = g_array_new(false, false, sizeof(double));
    g_autoptr(GArray) floors = g_array_new(false, false, sizeof(double));
    g_autoptr(GArray) op_us = g_array_new(false, false, sizeof(double));
    g_autoptr(GArray) floor_us = g_array_new(false, false, sizeof(double));
    GArray *type_us[VGLREC_NR_OPS];
    double type_total[VGLREC_NR_OPS] = { 0 };
    double cold = 0, floor_cold = 0;
    int t;

    if (!path) {
        g_test_skip("no $BENCH_REPLAY recording");
        return;
    }
    g_assert_true(g_file_get_contents(path, &buf, &size, NULL));
    nops = vglrec_parse((const uint8_t *)buf, size, &ops, err);
    if (nops < 0) {
        g_error("%s: %s", path, err);
    }
    for (t = 0; t < VGLREC_NR_OPS; t++) {
        type_us[t] = g_array_new(false, false, sizeof(double));
    }
    r->gpu = gpu;
    r->alloc = alloc;
    /* Linux offers no CONTEXT_INIT to a virgl guest that did not ask */
    g_assert_cmphex(qvirtio_gpu_set_features(gpu, FEATURES) & FEATURES, ==,
                    FEATURES);

    for (rep = 0; rep < reps; rep++) {
        double total = 0, ftotal = 0;
        uint32_t type;

        for (i = 0; i < nops; i++) {
            double us = replay_op(r, &ops[i], &type);

            if (us < 0) {
                skipped++;
                continue;
            }
            if (type >= VIRTIO_GPU_RESP_ERR_UNSPEC) {
                errors++;
            }
            total += us;
            if (rep > 0) {
                push(op_us, us);
                push(type_us[ops[i].op], us);
                type_total[ops[i].op] += us;
            }
        }
        replay_cleanup(r);

        /* The transport floor: as many requests that never reach virgl */
        for (i = 0; i < nops; i++) {
            struct virtio_gpu_ctrl_hdr h;
            double us;

            qvirtio_gpu_hdr_init(&h, VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
            us = replay_send(r, &h, sizeof(h), NULL, 0, NULL, &type);
            ftotal += us;
            if (rep > 0) {
                push(floor_us, us);
            }
        }
        if (rep == 0) {
            cold = total / 1000;
            floor_cold = ftotal / 1000;
        } else {
            push(totals, total / 1000);
            push(floors, ftotal / 1000);
        }
        g_test_message("repetition %ld: %.2f ms (transport %.2f ms)%s", rep,
                       total / 1000, ftotal / 1000,
                       rep ? "" : ", warmup: not counted");
    }

    print_series("device", "stream", totals, cold);
    printf("RESULT device stream-info ops=%ld errors=%ld skipped=%ld\n",
           nops, errors / reps, skipped / reps);
    print_series("device", "transport", floors, floor_cold);
    printf("RESULT device op median_us=%.1f p99_us=%.1f n=%u\n",
           pct(op_us, 50), pct(op_us, 99), op_us->len);
    printf("RESULT device transport-op median_us=%.1f p99_us=%.1f n=%u\n",
           pct(floor_us, 50), pct(floor_us, 99), floor_us->len);
    for (t = 1; t < VGLREC_NR_OPS; t++) {
        if (type_us[t]->len) {
            printf("RESULT device op-%s total_ms=%.3f median_us=%.1f "
                   "p99_us=%.1f n=%ld\n", vglrec_op_name(t),
                   type_total[t] / 1000 / (reps - 1), pct(type_us[t], 50),
                   pct(type_us[t], 99), (long)type_us[t]->len / (reps - 1));
        }
        g_array_free(type_us[t], true);
    }
    fflush(stdout);
}

static void register_virtio_gpu_bench(void)
{
    QOSGraphTestOptions opts = {
        .edge.extra_device_opts = "blob=on,hostmem=64M,context_init=on",
        .edge.after_cmd_line = "-vga none -m 1G",
    };

    qos_add_test("bench-map-unmap", "virtio-gpu-gl", bench_map_unmap, &opts);
    qos_add_test("bench-replay", "virtio-gpu-gl", bench_replay, &opts);
}

libqos_init(register_virtio_gpu_bench);

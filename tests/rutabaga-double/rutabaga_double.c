/*
 * librutabaga_gfx_ffi test double
 *
 * A small C library with the C API of rutabaga_gfx (see README.md), so
 * that QEMU's rutabaga_gfx backend can be built and tested on a machine
 * without the real library.  It follows the documented contract of the
 * library where an embedder can tell, and checks the embedder's side of
 * it: calls come one at a time from the thread that called rutabaga_init,
 * never from inside a callback; get_capset gets the size get_capset_info
 * gave; the in-fence fields of rutabaga_command are zero.  A broken rule
 * aborts the process, so that the test that broke it fails.
 *
 * Its "gfxstream" runs a tiny command language (README.md) instead of
 * Vulkan or GL, and its fences complete synchronously inside
 * rutabaga_create_fence, on a worker thread, or when released.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define RUTABAGA_GFX_FFI_UNSTABLE
#include "rutabaga_gfx/rutabaga_gfx_ffi.h"

#define EXPORT __attribute__((visibility("default")))

/* Commands of the gfxstream contexts, in little-endian 32-bit words */
#define DBL_CMD_ALLOC   1   /* blob_id, size, seed */
#define DBL_CMD_WRITE   2   /* blob_id, offset, len, bytes (padded to 4) */
#define DBL_CMD_FILL    3   /* resource_id, pixel */
#define DBL_CMD_RELEASE 4   /* ring: complete its held fences */
#define DBL_CMD_NOP     5

#define DBL_CAPSET_SIZE 64
#define DBL_CROSS_DOMAIN_CAPSET_SIZE 16
#define DBL_MAX_IMAGE (64u << 20)
#define DBL_MAX_BLOB (64u << 20)
/* what the library leaves in the upper bytes of a fence's u8 ring_idx */
#define DBL_RING_GARBAGE 0xa5a5a500u

#define GFXSTREAM_CAPSETS ((1ull << RUTABAGA_CAPSET_GFXSTREAM_VULKAN) | \
                           (1ull << RUTABAGA_CAPSET_GFXSTREAM_GLES) | \
                           (1ull << RUTABAGA_CAPSET_GFXSTREAM_COMPOSER))
#define VIRGLRENDERER_CAPSETS ((1ull << RUTABAGA_CAPSET_VIRGL2) | \
                               (1ull << RUTABAGA_CAPSET_VENUS) | \
                               (1ull << RUTABAGA_CAPSET_DRM))

enum component { COMP_2D, COMP_GFXSTREAM, COMP_CROSS_DOMAIN };

struct blob_mem {
    uint32_t blob_id;
    int fd;
    uint8_t *data;              /* the double's own mapping */
    uint64_t size;
    size_t map_size;
    bool bound;                 /* a resource was created from it */
    int refs;
    struct blob_mem *next;
};

struct ctx {
    uint32_t id;
    uint32_t capset;
    enum component comp;
    uint32_t *attached;
    size_t n_attached;
    struct blob_mem *blobs;
    int channel_fd;
    struct ctx *next;
};

struct res {
    uint32_t id;
    uint32_t target, format, width, height;
    uint8_t *image;             /* host pixels, 4 bytes each */
    struct iovec *iov;
    size_t niov;
    bool blob;
    uint32_t blob_mem;
    uint64_t blob_size;
    struct blob_mem *mem;       /* HOST3D blobs */
    void *map;                  /* rutabaga_resource_map() */
    struct res *next;
};

struct fence_item {
    struct rutabaga_fence fence;
    struct fence_item *next;
};

struct fence_list {
    struct fence_item *head, **tail;
};

struct rutabaga {
    uint64_t user_data;
    rutabaga_fence_callback fence_cb;
    uint64_t capset_mask;
    enum component comp;
    char *wayland_path;
    uint32_t channels;          /* bit 1 << type per channel */

    pthread_t init_thread;
    int busy;

    struct ctx *ctxs;
    struct res *resources;

    /* fences for the worker, and fences held until released */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t worker;
    bool stop;
    struct fence_list queue;
    struct fence_list held;
    unsigned delivering;
};

/* The debug callback is process-global; the first to register it wins */
static rutabaga_debug_callback debug_cb;
static uint64_t debug_user_data;
static __thread bool in_callback;

static void contract(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "rutabaga double: contract broken: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    abort();
}

static int32_t fail(const char *fmt, ...)
{
    struct rutabaga_debug d = { .debug_type = RUTABAGA_DEBUG_ERROR };
    char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0) {
        msg = NULL;
    }
    va_end(ap);
    if (debug_cb && msg) {
        d.message = msg;
        in_callback = true;
        debug_cb(debug_user_data, &d);
        in_callback = false;
    }
    free(msg);
    return -EINVAL;
}

/* Every call: one at a time, from the init thread, not from a callback */
static void enter(struct rutabaga *r, const char *fn)
{
    if (!r) {
        contract("%s without a handle", fn);
    }
    if (in_callback) {
        contract("%s called from inside a callback", fn);
    }
    if (!pthread_equal(pthread_self(), r->init_thread)) {
        contract("%s called from another thread than rutabaga_init's", fn);
    }
    if (__atomic_exchange_n(&r->busy, 1, __ATOMIC_ACQ_REL)) {
        contract("%s called while another call runs", fn);
    }
}

static int32_t leave(struct rutabaga *r, int32_t ret)
{
    __atomic_store_n(&r->busy, 0, __ATOMIC_RELEASE);
    return ret;
}

/* Fences */

static void fence_list_init(struct fence_list *l)
{
    l->head = NULL;
    l->tail = &l->head;
}

static void fence_list_add(struct fence_list *l, struct fence_item *it)
{
    it->next = NULL;
    *l->tail = it;
    l->tail = &it->next;
}

static struct fence_item *fence_list_pop(struct fence_list *l)
{
    struct fence_item *it = l->head;

    if (it) {
        l->head = it->next;
        if (!l->head) {
            l->tail = &l->head;
        }
    }
    return it;
}

static void deliver(struct rutabaga *r, const struct rutabaga_fence *f)
{
    struct rutabaga_fence copy = *f;

    copy.ring_idx = (copy.ring_idx & 0xff) | DBL_RING_GARBAGE;
    in_callback = true;
    r->fence_cb(r->user_data, &copy);
    in_callback = false;
}

static void *worker_main(void *opaque)
{
    struct rutabaga *r = opaque;
    struct fence_item *it;

    pthread_mutex_lock(&r->lock);
    for (;;) {
        it = fence_list_pop(&r->queue);
        if (!it) {
            if (r->stop) {
                break;
            }
            pthread_cond_wait(&r->cond, &r->lock);
            continue;
        }
        r->delivering++;
        pthread_mutex_unlock(&r->lock);
        deliver(r, &it->fence);
        free(it);
        pthread_mutex_lock(&r->lock);
        r->delivering--;
        pthread_cond_broadcast(&r->cond);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/*
 * Move the held fences of @ctx_id (of ring @ring, or of every ring when
 * @ring < 0) to the worker's queue, in order.  With lock held.
 */
static void release_held(struct rutabaga *r, uint32_t ctx_id, int ring)
{
    struct fence_list keep;
    struct fence_item *it;

    fence_list_init(&keep);
    while ((it = fence_list_pop(&r->held))) {
        if (it->fence.ctx_id == ctx_id &&
            (ring < 0 || it->fence.ring_idx == (uint32_t)ring)) {
            fence_list_add(&r->queue, it);
        } else {
            fence_list_add(&keep, it);
        }
    }
    r->held = keep;
    if (!r->held.head) {
        fence_list_init(&r->held);
    }
    pthread_cond_broadcast(&r->cond);
}

/* Wait until the worker delivered every fence of @ctx_id.  With lock. */
static void wait_delivered(struct rutabaga *r, uint32_t ctx_id)
{
    struct fence_item *it;
    bool pending;

    do {
        pending = r->delivering > 0;
        for (it = r->queue.head; it; it = it->next) {
            pending |= it->fence.ctx_id == ctx_id;
        }
        if (pending) {
            pthread_cond_wait(&r->cond, &r->lock);
        }
    } while (pending);
}

/* Lookups */

static struct ctx *find_ctx(struct rutabaga *r, uint32_t id)
{
    struct ctx *c;

    for (c = r->ctxs; c && c->id != id; c = c->next) {
        continue;
    }
    return c;
}

static struct res *find_res(struct rutabaga *r, uint32_t id)
{
    struct res *res;

    for (res = r->resources; res && res->id != id; res = res->next) {
        continue;
    }
    return res;
}

static struct blob_mem *find_blob(struct ctx *c, uint32_t blob_id)
{
    struct blob_mem *b;

    for (b = c->blobs; b && b->blob_id != blob_id; b = b->next) {
        continue;
    }
    return b;
}

static void blob_unref(struct blob_mem *b)
{
    if (--b->refs) {
        return;
    }
    munmap(b->data, b->map_size);
    close(b->fd);
    free(b);
}

static bool ctx_has_resource(struct ctx *c, uint32_t resource_id)
{
    size_t i;

    for (i = 0; i < c->n_attached; i++) {
        if (c->attached[i] == resource_id) {
            return true;
        }
    }
    return false;
}

/* Capsets: those of the mask that the active components have */

static bool capset_offered(struct rutabaga *r, uint32_t id)
{
    uint64_t bit;

    if (id >= 64) {
        return false;
    }
    bit = 1ull << id;
    if (!(r->capset_mask & bit)) {
        return false;
    }
    if (bit & GFXSTREAM_CAPSETS) {
        return r->comp == COMP_GFXSTREAM;
    }
    return id == RUTABAGA_CAPSET_CROSS_DOMAIN;
}

static uint32_t capset_bytes(uint32_t id)
{
    return id == RUTABAGA_CAPSET_CROSS_DOMAIN ? DBL_CROSS_DOMAIN_CAPSET_SIZE :
                                                DBL_CAPSET_SIZE;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
    p[2] = v >> 16;
    p[3] = v >> 24;
}

static uint32_t get_le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Setup */

EXPORT int32_t rutabaga_calculate_capset_mask(const char *capset_names,
                                              uint64_t *capset_mask)
{
    static const char *const names[] = {
        [RUTABAGA_CAPSET_VIRGL] = "virgl",
        [RUTABAGA_CAPSET_VIRGL2] = "virgl2",
        [RUTABAGA_CAPSET_GFXSTREAM_VULKAN] = "gfxstream-vulkan",
        [RUTABAGA_CAPSET_VENUS] = "venus",
        [RUTABAGA_CAPSET_CROSS_DOMAIN] = "cross-domain",
        [RUTABAGA_CAPSET_DRM] = "drm",
        [RUTABAGA_CAPSET_GFXSTREAM_MAGMA] = "magma",
        [RUTABAGA_CAPSET_GFXSTREAM_GLES] = "gfxstream-gles",
        [RUTABAGA_CAPSET_GFXSTREAM_COMPOSER] = "gfxstream-composer",
    };
    const char *p = capset_names;
    uint64_t mask = 0;
    size_t i, len;

    if (!capset_names || !capset_mask) {
        return -EINVAL;
    }
    while (*p) {
        len = strcspn(p, ":");
        for (i = 1; i < sizeof(names) / sizeof(names[0]); i++) {
            if (strlen(names[i]) == len && !strncmp(p, names[i], len)) {
                mask |= 1ull << i;
            }
        }
        p += len + (p[len] == ':');
    }
    *capset_mask = mask;
    return 0;
}

EXPORT int32_t rutabaga_init(const struct rutabaga_builder *builder,
                             struct rutabaga **ptr)
{
    struct rutabaga *r;
    size_t i;

    if (in_callback) {
        contract("rutabaga_init called from inside a callback");
    }
    if (!builder || !ptr) {
        return -EINVAL;
    }
    if (builder->debug_cb && !debug_cb) {
        debug_cb = builder->debug_cb;
        debug_user_data = builder->user_data;
    }
    if (builder->wsi != RUTABAGA_WSI_SURFACELESS) {
        return fail("invalid wsi %llu", (unsigned long long)builder->wsi);
    }
    if (!builder->fence_cb) {
        return fail("a fence handler is required");
    }

    r = calloc(1, sizeof(*r));
    if (!r) {
        return -EINVAL;
    }
    r->user_data = builder->user_data;
    r->fence_cb = builder->fence_cb;
    r->capset_mask = builder->capset_mask;
    r->init_thread = pthread_self();
    fence_list_init(&r->queue);
    fence_list_init(&r->held);

    if (r->capset_mask & GFXSTREAM_CAPSETS) {
        r->comp = COMP_GFXSTREAM;
    } else if (r->capset_mask & VIRGLRENDERER_CAPSETS) {
        free(r);
        return fail("virglrenderer is not built in this library");
    } else if (r->capset_mask & (1ull << RUTABAGA_CAPSET_GFXSTREAM_MAGMA)) {
        free(r);
        return fail("magma is not built in this library");
    } else if (r->capset_mask & (1ull << RUTABAGA_CAPSET_CROSS_DOMAIN)) {
        r->comp = COMP_CROSS_DOMAIN;
    } else {
        r->comp = COMP_2D;
    }

    if (builder->channels) {
        for (i = 0; i < builder->channels->num_channels; i++) {
            const struct rutabaga_channel *ch = &builder->channels->channels[i];

            if (!ch->channel_name) {
                free(r->wayland_path);
                free(r);
                return fail("channel %zu has no path", i);
            }
            if (ch->channel_type < 32) {
                r->channels |= 1u << ch->channel_type;
            }
            if (ch->channel_type == RUTABAGA_CHANNEL_TYPE_WAYLAND &&
                !r->wayland_path) {
                r->wayland_path = strdup(ch->channel_name);
            }
        }
    }

    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    if (pthread_create(&r->worker, NULL, worker_main, r)) {
        free(r->wayland_path);
        free(r);
        return fail("no worker thread");
    }
    *ptr = r;
    return 0;
}

static void ctx_free(struct ctx *c)
{
    struct blob_mem *b;

    while ((b = c->blobs)) {
        c->blobs = b->next;
        blob_unref(b);
    }
    if (c->channel_fd >= 0) {
        close(c->channel_fd);
    }
    free(c->attached);
    free(c);
}

static void res_free(struct res *res)
{
    if (res->map) {
        munmap(res->map, res->mem->map_size);
    }
    if (res->mem) {
        blob_unref(res->mem);
    }
    free(res->image);
    free(res->iov);
    free(res);
}

EXPORT int32_t rutabaga_finish(struct rutabaga **ptr)
{
    struct rutabaga *r = ptr ? *ptr : NULL;
    struct ctx *c;
    struct res *res;
    struct fence_item *it;

    enter(r, __func__);
    /* dropping the contexts completes their held fences */
    pthread_mutex_lock(&r->lock);
    while ((it = fence_list_pop(&r->held))) {
        fence_list_add(&r->queue, it);
    }
    r->stop = true;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->worker, NULL);

    while ((c = r->ctxs)) {
        r->ctxs = c->next;
        ctx_free(c);
    }
    while ((res = r->resources)) {
        r->resources = res->next;
        res_free(res);
    }
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r->wayland_path);
    free(r);
    *ptr = NULL;
    return 0;
}

EXPORT int32_t rutabaga_get_num_capsets(struct rutabaga *r,
                                        uint32_t *num_capsets)
{
    uint32_t id, n = 0;

    enter(r, __func__);
    for (id = 0; id < 64; id++) {
        n += capset_offered(r, id);
    }
    *num_capsets = n;
    return leave(r, 0);
}

EXPORT int32_t rutabaga_get_capset_info(struct rutabaga *r,
                                        uint32_t capset_index,
                                        uint32_t *capset_id,
                                        uint32_t *capset_version,
                                        uint32_t *capset_size)
{
    uint32_t id, n = 0;

    enter(r, __func__);
    for (id = 0; id < 64; id++) {
        if (capset_offered(r, id) && n++ == capset_index) {
            *capset_id = id;
            *capset_version = 1;
            *capset_size = capset_bytes(id);
            return leave(r, 0);
        }
    }
    return leave(r, fail("no capset index %u", capset_index));
}

EXPORT int32_t rutabaga_get_capset(struct rutabaga *r, uint32_t capset_id,
                                   uint32_t version, uint8_t *capset,
                                   uint32_t size)
{
    uint32_t i;

    enter(r, __func__);
    if (!capset_offered(r, capset_id) || version > 1) {
        return leave(r, fail("no capset %u version %u", capset_id, version));
    }
    if (size != capset_bytes(capset_id)) {
        contract("get_capset of %u bytes, get_capset_info said %u", size,
                 capset_bytes(capset_id));
    }
    memset(capset, 0, size);
    if (capset_id == RUTABAGA_CAPSET_CROSS_DOMAIN) {
        put_le32(capset, 1);
        put_le32(capset + 4, r->channels);
        return leave(r, 0);
    }
    memcpy(capset, "RDBL", 4);
    put_le32(capset + 4, capset_id);
    put_le32(capset + 8, version);
    for (i = 12; i < size; i++) {
        capset[i] = capset_id * 17 + i;
    }
    return leave(r, 0);
}

/* Contexts */

EXPORT int32_t rutabaga_context_create(struct rutabaga *r, uint32_t ctx_id,
                                       uint32_t context_init,
                                       const char *context_name,
                                       uint32_t context_name_len)
{
    uint32_t capset = context_init & 0xff;
    struct ctx *c;

    enter(r, __func__);
    if (find_ctx(r, ctx_id)) {
        return leave(r, fail("context %u exists", ctx_id));
    }
    if (context_name_len && !context_name) {
        return leave(r, fail("context name of %u bytes at NULL",
                             context_name_len));
    }
    c = calloc(1, sizeof(*c));
    c->id = ctx_id;
    c->channel_fd = -1;
    c->capset = capset_offered(r, capset) ? capset : 0;
    if (c->capset == RUTABAGA_CAPSET_CROSS_DOMAIN) {
        c->comp = COMP_CROSS_DOMAIN;
    } else {
        /* an unknown capset falls back to the default component */
        c->comp = r->comp;
    }
    c->next = r->ctxs;
    r->ctxs = c;
    return leave(r, 0);
}

EXPORT int32_t rutabaga_context_destroy(struct rutabaga *r, uint32_t ctx_id)
{
    struct ctx **pc, *c;

    enter(r, __func__);
    for (pc = &r->ctxs; *pc && (*pc)->id != ctx_id; pc = &(*pc)->next) {
        continue;
    }
    c = *pc;
    if (!c) {
        return leave(r, fail("no context %u", ctx_id));
    }
    /* its held fences complete on the worker while this call waits */
    pthread_mutex_lock(&r->lock);
    release_held(r, ctx_id, -1);
    wait_delivered(r, ctx_id);
    pthread_mutex_unlock(&r->lock);
    *pc = c->next;
    ctx_free(c);
    return leave(r, 0);
}

EXPORT int32_t rutabaga_context_attach_resource(struct rutabaga *r,
                                                uint32_t ctx_id,
                                                uint32_t resource_id)
{
    struct ctx *c;

    enter(r, __func__);
    c = find_ctx(r, ctx_id);
    if (!c || !find_res(r, resource_id)) {
        return leave(r, fail("attach of resource %u to context %u",
                             resource_id, ctx_id));
    }
    if (!ctx_has_resource(c, resource_id)) {
        c->attached = realloc(c->attached,
                              (c->n_attached + 1) * sizeof(uint32_t));
        c->attached[c->n_attached++] = resource_id;
    }
    return leave(r, 0);
}

EXPORT int32_t rutabaga_context_detach_resource(struct rutabaga *r,
                                                uint32_t ctx_id,
                                                uint32_t resource_id)
{
    struct ctx *c;
    size_t i;

    enter(r, __func__);
    c = find_ctx(r, ctx_id);
    if (!c) {
        return leave(r, fail("no context %u", ctx_id));
    }
    for (i = 0; i < c->n_attached; i++) {
        if (c->attached[i] == resource_id) {
            c->attached[i] = c->attached[--c->n_attached];
            break;
        }
    }
    return leave(r, 0);
}

/* Resources */

static struct res *res_new(struct rutabaga *r, uint32_t id)
{
    struct res *res = calloc(1, sizeof(*res));

    res->id = id;
    res->next = r->resources;
    r->resources = res;
    return res;
}

EXPORT int32_t rutabaga_resource_create_3d(struct rutabaga *r,
                                           uint32_t resource_id,
                                           const struct rutabaga_create_3d *c)
{
    struct res *res;
    uint64_t bytes;

    enter(r, __func__);
    if (!resource_id || find_res(r, resource_id)) {
        return leave(r, fail("resource id %u", resource_id));
    }
    bytes = (uint64_t)c->width * c->height * 4;
    if (c->target == 2 && (!bytes || bytes > DBL_MAX_IMAGE)) {
        return leave(r, fail("texture of %ux%u", c->width, c->height));
    }
    res = res_new(r, resource_id);
    res->target = c->target;
    res->format = c->format;
    res->width = c->width;
    res->height = c->height;
    /* cross-domain renders nothing: it allocates no pixels */
    if (c->target == 2 && r->comp != COMP_CROSS_DOMAIN) {
        res->image = calloc(1, bytes);
    }
    return leave(r, 0);
}

static struct iovec *copy_iovecs(const struct rutabaga_iovecs *iovecs,
                                 size_t *niov)
{
    struct iovec *iov;

    *niov = iovecs ? iovecs->num_iovecs : 0;
    if (!*niov) {
        return NULL;
    }
    /* the array is copied, the memory it points to is used until detach */
    iov = calloc(*niov, sizeof(*iov));
    memcpy(iov, iovecs->iovecs, *niov * sizeof(*iov));
    return iov;
}

EXPORT int32_t rutabaga_resource_attach_backing(struct rutabaga *r,
                                                uint32_t resource_id,
                                                const struct rutabaga_iovecs *iovecs)
{
    struct res *res;

    enter(r, __func__);
    res = find_res(r, resource_id);
    if (!res || !iovecs) {
        return leave(r, fail("backing for resource %u", resource_id));
    }
    free(res->iov);
    res->iov = copy_iovecs(iovecs, &res->niov);
    return leave(r, 0);
}

EXPORT int32_t rutabaga_resource_detach_backing(struct rutabaga *r,
                                                uint32_t resource_id)
{
    struct res *res;

    enter(r, __func__);
    res = find_res(r, resource_id);
    if (!res) {
        return leave(r, fail("no resource %u", resource_id));
    }
    free(res->iov);
    res->iov = NULL;
    res->niov = 0;
    return leave(r, 0);
}

/* Copy @len bytes at @off of the backing to or from @buf */
static bool backing_copy(struct res *res, uint64_t off, uint8_t *buf,
                         uint64_t len, bool to_backing)
{
    size_t i;

    for (i = 0; i < res->niov && len; i++) {
        uint64_t n;

        if (off >= res->iov[i].iov_len) {
            off -= res->iov[i].iov_len;
            continue;
        }
        n = res->iov[i].iov_len - off;
        n = n < len ? n : len;
        if (to_backing) {
            memcpy((uint8_t *)res->iov[i].iov_base + off, buf, n);
        } else {
            memcpy(buf, (uint8_t *)res->iov[i].iov_base + off, n);
        }
        buf += n;
        len -= n;
        off = 0;
    }
    return !len;
}

static bool box_fits(struct res *res, const struct rutabaga_transfer *t)
{
    return t->w && t->h && t->x <= res->width && t->w <= res->width - t->x &&
           t->y <= res->height && t->h <= res->height - t->y;
}

/*
 * Rows of the box travel between the image, whose stride is width * 4,
 * and the backing, where they sit at offset + row * width * 4 + x * 4.
 */
static int32_t transfer_backing(struct res *res,
                                const struct rutabaga_transfer *t,
                                bool to_backing)
{
    uint64_t stride = (uint64_t)res->width * 4;
    uint32_t row;

    if (!res->iov) {
        return fail("resource %u has no backing", res->id);
    }
    for (row = t->y; row < t->y + t->h; row++) {
        uint8_t *pixels = res->image + row * stride + (uint64_t)t->x * 4;

        if (!backing_copy(res, t->offset + row * stride + (uint64_t)t->x * 4,
                          pixels, (uint64_t)t->w * 4, to_backing)) {
            return fail("transfer past the backing of resource %u", res->id);
        }
    }
    return 0;
}

EXPORT int32_t rutabaga_resource_transfer_write(struct rutabaga *r,
                                                uint32_t ctx_id,
                                                uint32_t resource_id,
                                                const struct rutabaga_transfer *t)
{
    struct res *res;

    enter(r, __func__);
    res = find_res(r, resource_id);
    if (!res || !t) {
        return leave(r, fail("transfer to resource %u", resource_id));
    }
    if (!res->image) {
        return leave(r, 0);
    }
    if (!box_fits(res, t)) {
        return leave(r, fail("box outside resource %u", resource_id));
    }
    return leave(r, transfer_backing(res, t, false));
}

/*
 * With an iovec, the box goes to that buffer: row y of the image at
 * y * transfer->stride + x * 4, whatever transfer->offset says.
 */
EXPORT int32_t rutabaga_resource_transfer_read(struct rutabaga *r,
                                               uint32_t ctx_id,
                                               uint32_t resource_id,
                                               const struct rutabaga_transfer *t,
                                               const struct iovec *iovec)
{
    struct res *res;
    uint64_t stride;
    uint32_t row;

    enter(r, __func__);
    res = find_res(r, resource_id);
    if (!res || !t) {
        return leave(r, fail("transfer from resource %u", resource_id));
    }
    if (!res->image) {
        return leave(r, 0);
    }
    if (!box_fits(res, t)) {
        return leave(r, fail("box outside resource %u", resource_id));
    }
    if (!iovec) {
        return leave(r, transfer_backing(res, t, true));
    }
    stride = (uint64_t)res->width * 4;
    if (t->stride < (uint64_t)t->w * 4 ||
        (uint64_t)(t->y + t->h - 1) * t->stride + (uint64_t)(t->x + t->w) * 4 >
        iovec->iov_len) {
        return leave(r, fail("buffer of %zu bytes, stride %u too small",
                             iovec->iov_len, t->stride));
    }
    for (row = t->y; row < t->y + t->h; row++) {
        memcpy((uint8_t *)iovec->iov_base + (uint64_t)row * t->stride +
               (uint64_t)t->x * 4,
               res->image + row * stride + (uint64_t)t->x * 4,
               (uint64_t)t->w * 4);
    }
    return leave(r, 0);
}

EXPORT int32_t rutabaga_resource_create_blob(struct rutabaga *r,
                                             uint32_t ctx_id,
                                             uint32_t resource_id,
                                             const struct rutabaga_create_blob *cb,
                                             const struct rutabaga_iovecs *iovecs,
                                             const struct rutabaga_handle *handle)
{
    struct ctx *c = NULL;
    struct blob_mem *b = NULL;
    struct res *res;

    enter(r, __func__);
    if (handle && handle->os_handle >= 0) {
        /* the library owns a handle passed to it, even on failure */
        close(handle->os_handle);
    }
    if (!resource_id || find_res(r, resource_id) || !cb) {
        return leave(r, fail("blob resource id %u", resource_id));
    }
    if (ctx_id) {
        c = find_ctx(r, ctx_id);
        if (!c) {
            return leave(r, fail("no context %u", ctx_id));
        }
    }
    switch (cb->blob_mem) {
    case RUTABAGA_BLOB_MEM_GUEST:
        if (c && c->comp == COMP_CROSS_DOMAIN) {
            return leave(r, fail("invalid cross domain item id"));
        }
        if (!iovecs || !iovecs->num_iovecs) {
            return leave(r, fail("guest blob %u without memory",
                                 resource_id));
        }
        break;
    case RUTABAGA_BLOB_MEM_HOST3D:
        if (!c || c->comp != COMP_GFXSTREAM) {
            return leave(r, fail("host blob %u needs a gfxstream context",
                                 resource_id));
        }
        b = find_blob(c, cb->blob_id);
        if (!b || b->bound || cb->size > b->size) {
            return leave(r, fail("context %u has no free blob %llu of %llu"
                                 " bytes", ctx_id,
                                 (unsigned long long)cb->blob_id,
                                 (unsigned long long)cb->size));
        }
        break;
    default:
        return leave(r, fail("blob memory type %u", cb->blob_mem));
    }

    res = res_new(r, resource_id);
    res->blob = true;
    res->blob_mem = cb->blob_mem;
    res->blob_size = cb->size;
    res->iov = copy_iovecs(iovecs, &res->niov);
    if (b) {
        b->bound = true;
        b->refs++;
        res->mem = b;
    }
    return leave(r, 0);
}

EXPORT int32_t rutabaga_resource_unref(struct rutabaga *r,
                                       uint32_t resource_id)
{
    struct res **pres, *res;
    struct ctx *c;

    enter(r, __func__);
    for (pres = &r->resources; *pres && (*pres)->id != resource_id;
         pres = &(*pres)->next) {
        continue;
    }
    res = *pres;
    if (!res) {
        return leave(r, fail("no resource %u", resource_id));
    }
    *pres = res->next;
    for (c = r->ctxs; c; c = c->next) {
        size_t i;

        for (i = 0; i < c->n_attached; i++) {
            if (c->attached[i] == resource_id) {
                c->attached[i] = c->attached[--c->n_attached];
                break;
            }
        }
    }
    res_free(res);
    return leave(r, 0);
}

EXPORT int32_t rutabaga_resource_export_blob(struct rutabaga *r,
                                             uint32_t resource_id,
                                             struct rutabaga_handle *handle)
{
    struct res *res;

    enter(r, __func__);
    res = find_res(r, resource_id);
    if (!res || !res->mem) {
        return leave(r, fail("resource %u has no handle", resource_id));
    }
    handle->os_handle = dup(res->mem->fd);
    handle->handle_type = RUTABAGA_HANDLE_TYPE_MEM_SHM;
    return leave(r, handle->os_handle < 0 ? -EINVAL : 0);
}

EXPORT int32_t rutabaga_resource_map_info(struct rutabaga *r,
                                          uint32_t resource_id,
                                          uint32_t *map_info)
{
    struct res *res;

    enter(r, __func__);
    res = find_res(r, resource_id);
    if (!res || !res->mem) {
        return leave(r, fail("resource %u is not mappable", resource_id));
    }
    *map_info = RUTABAGA_MAP_CACHE_CACHED | RUTABAGA_MAP_ACCESS_RW;
    return leave(r, 0);
}

EXPORT int32_t rutabaga_resource_map(struct rutabaga *r,
                                     uint32_t resource_id,
                                     struct rutabaga_mapping *mapping)
{
    struct res *res;
    void *p;

    enter(r, __func__);
    res = find_res(r, resource_id);
    if (!res || !res->mem) {
        return leave(r, fail("resource %u is not mappable", resource_id));
    }
    if (res->map) {
        return leave(r, fail("resource %u is mapped already", resource_id));
    }
    /* a mapping of its own, gone at unmap: late users would crash */
    p = mmap(NULL, res->mem->map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
             res->mem->fd, 0);
    if (p == MAP_FAILED) {
        return leave(r, fail("mmap: %s", strerror(errno)));
    }
    res->map = p;
    mapping->ptr = p;
    mapping->size = res->blob_size;
    return leave(r, 0);
}

EXPORT int32_t rutabaga_resource_unmap(struct rutabaga *r,
                                       uint32_t resource_id)
{
    struct res *res;

    enter(r, __func__);
    res = find_res(r, resource_id);
    if (!res || !res->map) {
        return leave(r, fail("resource %u is not mapped", resource_id));
    }
    munmap(res->map, res->mem->map_size);
    res->map = NULL;
    return leave(r, 0);
}

/* Commands */

static int32_t cmd_alloc(struct ctx *c, const uint8_t *w)
{
    uint32_t blob_id = get_le32(w + 4), size = get_le32(w + 8);
    uint32_t seed = get_le32(w + 12), i;
    long page = sysconf(_SC_PAGESIZE);
    struct blob_mem *b;

    if (find_blob(c, blob_id) || !size || size > DBL_MAX_BLOB) {
        return fail("ALLOC of blob %u, %u bytes", blob_id, size);
    }
    b = calloc(1, sizeof(*b));
    b->blob_id = blob_id;
    b->size = size;
    b->map_size = (size + page - 1) / page * page;
    b->refs = 1;
    b->fd = memfd_create("rutabaga-double-blob", MFD_CLOEXEC);
    if (b->fd < 0 || ftruncate(b->fd, b->map_size) < 0) {
        if (b->fd >= 0) {
            close(b->fd);
        }
        free(b);
        return fail("memfd: %s", strerror(errno));
    }
    b->data = mmap(NULL, b->map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   b->fd, 0);
    if (b->data == MAP_FAILED) {
        close(b->fd);
        free(b);
        return fail("mmap: %s", strerror(errno));
    }
    for (i = 0; i < size; i++) {
        b->data[i] = seed + i;
    }
    b->next = c->blobs;
    c->blobs = b;
    return 0;
}

static int32_t cmd_write(struct ctx *c, const uint8_t *w, uint32_t avail,
                         uint32_t *used)
{
    uint32_t blob_id = get_le32(w + 4), off = get_le32(w + 8);
    uint32_t len = get_le32(w + 12);
    uint32_t padded = (len + 3) & ~3u;
    struct blob_mem *b = find_blob(c, blob_id);

    if (len > avail - 16 || padded > avail - 16) {
        return fail("WRITE of %u bytes in a stream of %u", len, avail);
    }
    if (!b || off > b->size || len > b->size - off) {
        return fail("WRITE of %u bytes at %u to blob %u", len, off, blob_id);
    }
    memcpy(b->data + off, w + 16, len);
    *used = 16 + padded;
    return 0;
}

static int32_t cmd_fill(struct rutabaga *r, struct ctx *c, const uint8_t *w)
{
    uint32_t resource_id = get_le32(w + 4), pixel = get_le32(w + 8);
    struct res *res = find_res(r, resource_id);
    uint64_t i;

    if (!res || !res->image || !ctx_has_resource(c, resource_id)) {
        return fail("FILL of resource %u, which context %u does not have",
                    resource_id, c->id);
    }
    for (i = 0; i < (uint64_t)res->width * res->height; i++) {
        put_le32(res->image + i * 4, pixel);
    }
    return 0;
}

static int32_t submit_gfxstream(struct rutabaga *r, struct ctx *c,
                                const uint8_t *cmd, uint32_t size)
{
    uint32_t pos = 0, used = 0;
    int32_t ret;

    if (size % 4) {
        return fail("stream of %u bytes", size);
    }
    while (pos < size) {
        const uint8_t *w = cmd + pos;
        uint32_t avail = size - pos;

        switch (get_le32(w)) {
        case DBL_CMD_ALLOC:
            ret = avail < 16 ? fail("short ALLOC") : cmd_alloc(c, w);
            used = 16;
            break;
        case DBL_CMD_WRITE:
            ret = avail < 16 ? fail("short WRITE") :
                               cmd_write(c, w, avail, &used);
            break;
        case DBL_CMD_FILL:
            ret = avail < 12 ? fail("short FILL") : cmd_fill(r, c, w);
            used = 12;
            break;
        case DBL_CMD_RELEASE:
            ret = avail < 8 ? fail("short RELEASE") : 0;
            if (!ret) {
                pthread_mutex_lock(&r->lock);
                release_held(r, c->id, get_le32(w + 4) & 0xff);
                pthread_mutex_unlock(&r->lock);
            }
            used = 8;
            break;
        case DBL_CMD_NOP:
            ret = 0;
            used = 4;
            break;
        default:
            ret = fail("unknown command %u", get_le32(w));
            break;
        }
        if (ret) {
            return ret;
        }
        pos += used;
    }
    return 0;
}

/* Cross-domain: the bytes go to the Wayland channel, connected lazily */
static int32_t submit_cross_domain(struct rutabaga *r, struct ctx *c,
                                   const uint8_t *cmd, uint32_t size)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    if (c->channel_fd < 0) {
        if (!r->wayland_path ||
            strlen(r->wayland_path) >= sizeof(addr.sun_path)) {
            return fail("no channel to connect to");
        }
        strcpy(addr.sun_path, r->wayland_path);
        c->channel_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->channel_fd < 0 ||
            connect(c->channel_fd, (struct sockaddr *)&addr,
                    sizeof(addr)) < 0) {
            int err = errno;

            if (c->channel_fd >= 0) {
                close(c->channel_fd);
            }
            c->channel_fd = -1;
            return fail("connect to %s: %s", r->wayland_path, strerror(err));
        }
    }
    if (write(c->channel_fd, cmd, size) != (ssize_t)size) {
        return fail("write to the channel: %s", strerror(errno));
    }
    return 0;
}

EXPORT int32_t rutabaga_submit_command(struct rutabaga *r,
                                       struct rutabaga_command *cmd)
{
    struct ctx *c;

    enter(r, __func__);
    if (!cmd) {
        return leave(r, fail("no command"));
    }
    if (cmd->num_in_fences || cmd->fence_ids) {
        contract("rutabaga_command with in-fence fields %u, %p",
                 cmd->num_in_fences, (void *)cmd->fence_ids);
    }
    c = find_ctx(r, cmd->ctx_id);
    if (!c) {
        return leave(r, fail("no context %u", cmd->ctx_id));
    }
    if (cmd->cmd_size && !cmd->cmd) {
        return leave(r, fail("command of %u bytes at NULL", cmd->cmd_size));
    }
    if (c->comp == COMP_CROSS_DOMAIN) {
        return leave(r, submit_cross_domain(r, c, cmd->cmd, cmd->cmd_size));
    }
    if (c->comp == COMP_GFXSTREAM) {
        return leave(r, submit_gfxstream(r, c, cmd->cmd, cmd->cmd_size));
    }
    return leave(r, fail("2D contexts take no commands"));
}

/*
 * Where a fence completes: ring 0 of a context at once, on the caller's
 * thread; ring 1 when released (RELEASE, or the context's end); other
 * rings and global fences on the worker thread, except global fences in
 * cross-domain mode, which also complete at once.
 */
EXPORT int32_t rutabaga_create_fence(struct rutabaga *r,
                                     const struct rutabaga_fence *fence)
{
    bool ring = fence->flags & RUTABAGA_FLAG_INFO_RING_IDX;
    struct fence_item *it;

    enter(r, __func__);
    if (!(fence->flags & RUTABAGA_FLAG_FENCE)) {
        return leave(r, fail("fence without RUTABAGA_FLAG_FENCE"));
    }
    if (ring && !find_ctx(r, fence->ctx_id)) {
        return leave(r, fail("ring fence for unknown context %u",
                             fence->ctx_id));
    }
    if ((ring && fence->ring_idx == 0) ||
        (!ring && r->comp == COMP_CROSS_DOMAIN)) {
        deliver(r, fence);
        return leave(r, 0);
    }
    it = calloc(1, sizeof(*it));
    it->fence = *fence;
    pthread_mutex_lock(&r->lock);
    if (ring && fence->ring_idx == 1) {
        fence_list_add(&r->held, it);
    } else {
        fence_list_add(&r->queue, it);
        pthread_cond_broadcast(&r->cond);
    }
    pthread_mutex_unlock(&r->lock);
    return leave(r, 0);
}

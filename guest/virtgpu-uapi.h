/*
 * virtgpu-uapi.h: the part of the Linux virtio-gpu DRM uAPI that the guest
 * test programs (virtgpu-test.c, xd-test.c) use.
 *
 * It mirrors include/uapi/drm/virtgpu_drm.h and include/uapi/drm/drm.h of
 * Linux, so that the programs build statically without libdrm headers:
 * bookworm's linux-libc-dev has no drm/ directory and libdrm-dev's
 * virtgpu_drm.h predates blobs and CONTEXT_INIT.  The structs carry a vt_
 * prefix (same layout as the kernel's, sizes asserted at the bottom); the
 * constants keep the kernel's names.  Only what a program uses is here.
 */
#ifndef VIRTGPU_UAPI_H
#define VIRTGPU_UAPI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

/* drm.h: the ioctl type and where driver ioctls start */
#define DRM_IOCTL_BASE   'd'
#define DRM_COMMAND_BASE 0x40

#define VT_IO(nr)         _IO(DRM_IOCTL_BASE, nr)
#define VT_IOW(nr, t)     _IOW(DRM_IOCTL_BASE, nr, t)
#define VT_IOWR(nr, t)    _IOWR(DRM_IOCTL_BASE, nr, t)
/* a virtgpu ioctl: DRM_COMMAND_BASE + DRM_VIRTGPU_<nr> */
#define VT_VIRTGPU(nr, t) VT_IOWR(DRM_COMMAND_BASE + DRM_VIRTGPU_##nr, t)

/* drm.h: DRM_IOCTL_VERSION, DRM_IOCTL_GEM_CLOSE */
struct vt_drm_version {
    int version_major, version_minor, version_patchlevel;
    size_t name_len;
    char *name;
    size_t date_len;
    char *date;
    size_t desc_len;
    char *desc;
};
struct vt_gem_close { uint32_t handle, pad; };

/* virtgpu_drm.h: ioctl numbers (after DRM_COMMAND_BASE) */
#define DRM_VIRTGPU_MAP                  0x01
#define DRM_VIRTGPU_EXECBUFFER           0x02
#define DRM_VIRTGPU_GETPARAM             0x03
#define DRM_VIRTGPU_RESOURCE_CREATE      0x04
#define DRM_VIRTGPU_RESOURCE_INFO        0x05
#define DRM_VIRTGPU_WAIT                 0x08
#define DRM_VIRTGPU_GET_CAPS             0x09
#define DRM_VIRTGPU_RESOURCE_CREATE_BLOB 0x0a
#define DRM_VIRTGPU_CONTEXT_INIT         0x0b

/* drm_virtgpu_execbuffer.flags */
#define VIRTGPU_EXECBUF_FENCE_FD_IN      0x01
#define VIRTGPU_EXECBUF_FENCE_FD_OUT     0x02
#define VIRTGPU_EXECBUF_RING_IDX         0x04

/* drm_virtgpu_getparam.param */
#define VIRTGPU_PARAM_3D_FEATURES          1
#define VIRTGPU_PARAM_CAPSET_QUERY_FIX     2
#define VIRTGPU_PARAM_RESOURCE_BLOB        3
#define VIRTGPU_PARAM_HOST_VISIBLE         4
#define VIRTGPU_PARAM_CROSS_DEVICE         5
#define VIRTGPU_PARAM_CONTEXT_INIT         6
#define VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs 7
#define VIRTGPU_PARAM_EXPLICIT_DEBUG_NAME  8

/* capset ids (drm_virtgpu_get_caps.cap_set_id, CONTEXT_PARAM_CAPSET_ID) */
#define VIRTGPU_DRM_CAPSET_VIRGL         1
#define VIRTGPU_DRM_CAPSET_VIRGL2        2
#define VIRTGPU_DRM_CAPSET_VENUS         4
#define VIRTGPU_DRM_CAPSET_CROSS_DOMAIN  5

/* drm_virtgpu_resource_create_blob.blob_mem and .blob_flags */
#define VIRTGPU_BLOB_MEM_GUEST           0x0001
#define VIRTGPU_BLOB_MEM_HOST3D          0x0002
#define VIRTGPU_BLOB_FLAG_USE_MAPPABLE   0x0001
#define VIRTGPU_BLOB_FLAG_USE_SHAREABLE  0x0002

/* drm_virtgpu_context_set_param.param */
#define VIRTGPU_CONTEXT_PARAM_CAPSET_ID       0x0001
#define VIRTGPU_CONTEXT_PARAM_NUM_RINGS       0x0002
#define VIRTGPU_CONTEXT_PARAM_POLL_RINGS_MASK 0x0003
#define VIRTGPU_CONTEXT_PARAM_DEBUG_NAME      0x0004

/* the drm_event type read from the fd when a polled ring's fence signals */
#define VIRTGPU_EVENT_FENCE_SIGNALED     0x90000000u

struct vt_map { uint64_t offset; uint32_t handle, pad; };
struct vt_execbuffer {
    uint32_t flags, size;
    uint64_t command, bo_handles;
    uint32_t num_bo_handles;
    int32_t fence_fd;
    uint32_t ring_idx;
    /* sync objects (Linux 6.4+); zero = none */
    uint32_t syncobj_stride, num_in_syncobjs, num_out_syncobjs;
    uint64_t in_syncobjs, out_syncobjs;
};
struct vt_getparam { uint64_t param, value; };
struct vt_resource_info { uint32_t bo_handle, res_handle, size, blob_mem; };
struct vt_resource_create {
    uint32_t target, format, bind, width, height, depth, array_size, last_level;
    uint32_t nr_samples, flags, bo_handle, res_handle, size, stride;
};
struct vt_3d_wait { uint32_t handle, flags; };
struct vt_get_caps {
    uint32_t cap_set_id, cap_set_ver;
    uint64_t addr;
    uint32_t size, pad;
};
struct vt_create_blob {
    uint32_t blob_mem, blob_flags, bo_handle, res_handle;
    uint64_t size;
    uint32_t pad, cmd_size;
    uint64_t cmd, blob_id;
};
struct vt_ctx_set_param { uint64_t param, value; };
struct vt_context_init { uint32_t num_params, pad; uint64_t ctx_set_params; };

#define VT_IOCTL_VERSION    VT_IOWR(0x00, struct vt_drm_version)
#define VT_IOCTL_GEM_CLOSE  VT_IOW(0x09, struct vt_gem_close)
#define VT_IOCTL_SET_MASTER VT_IO(0x1e)
#define VT_IOCTL_VIRTGPU_MAP VT_VIRTGPU(MAP, struct vt_map)
#define VT_IOCTL_VIRTGPU_EXECBUFFER VT_VIRTGPU(EXECBUFFER, struct vt_execbuffer)
#define VT_IOCTL_VIRTGPU_GETPARAM VT_VIRTGPU(GETPARAM, struct vt_getparam)
#define VT_IOCTL_VIRTGPU_RESOURCE_INFO \
    VT_VIRTGPU(RESOURCE_INFO, struct vt_resource_info)
#define VT_IOCTL_VIRTGPU_RESOURCE_CREATE \
    VT_VIRTGPU(RESOURCE_CREATE, struct vt_resource_create)
#define VT_IOCTL_VIRTGPU_WAIT VT_VIRTGPU(WAIT, struct vt_3d_wait)
#define VT_IOCTL_VIRTGPU_GET_CAPS VT_VIRTGPU(GET_CAPS, struct vt_get_caps)
#define VT_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB \
    VT_VIRTGPU(RESOURCE_CREATE_BLOB, struct vt_create_blob)
#define VT_IOCTL_VIRTGPU_CONTEXT_INIT \
    VT_VIRTGPU(CONTEXT_INIT, struct vt_context_init)

/* The ioctl numbers encode these sizes: they must be the kernel's. */
_Static_assert(sizeof(struct vt_gem_close) == 8, "drm_gem_close");
_Static_assert(sizeof(struct vt_map) == 16, "drm_virtgpu_map");
_Static_assert(sizeof(struct vt_execbuffer) == 64, "drm_virtgpu_execbuffer");
_Static_assert(sizeof(struct vt_getparam) == 16, "drm_virtgpu_getparam");
_Static_assert(sizeof(struct vt_resource_info) == 16,
               "drm_virtgpu_resource_info");
_Static_assert(sizeof(struct vt_resource_create) == 56,
               "drm_virtgpu_resource_create");
_Static_assert(sizeof(struct vt_3d_wait) == 8, "drm_virtgpu_3d_wait");
_Static_assert(sizeof(struct vt_get_caps) == 24, "drm_virtgpu_get_caps");
_Static_assert(sizeof(struct vt_create_blob) == 48,
               "drm_virtgpu_resource_create_blob");
_Static_assert(sizeof(struct vt_ctx_set_param) == 16,
               "drm_virtgpu_context_set_param");
_Static_assert(sizeof(struct vt_context_init) == 16,
               "drm_virtgpu_context_init");

#endif /* VIRTGPU_UAPI_H */

/*
 * prefmode: an LD_PRELOAD shim for guest programs that pick the largest
 * KMS mode (glmark2 2023.01 does: 5120x2160 from QEMU's EDID, a mode the
 * virtio-gpu device cannot even set).  It leaves only the connector's
 * preferred mode (the device's xres x yres) in what drmModeGetConnector()
 * and drmModeGetConnectorCurrent() return, so that every program renders
 * at the same size on every device.
 *
 * Build: gcc -O2 -Wall -shared -fPIC -o prefmode.so prefmode.c -ldl
 *        (libdrm-dev's xf86drmMode.h for the struct; no libdrm code)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

#include <xf86drmMode.h>

static drmModeConnectorPtr keep_preferred(drmModeConnectorPtr c)
{
    if (!c || c->count_modes <= 1) {
        return c;
    }
    for (int i = 0; i < c->count_modes; i++) {
        if (c->modes[i].type & DRM_MODE_TYPE_PREFERRED) {
            if (i) {
                drmModeModeInfo m = c->modes[i];
                c->modes[i] = c->modes[0];
                c->modes[0] = m;
            }
            c->count_modes = 1;   /* drmModeFreeConnector frees the array */
            break;
        }
    }
    return c;
}

drmModeConnectorPtr drmModeGetConnector(int fd, uint32_t id)
{
    static drmModeConnectorPtr (*real)(int, uint32_t);

    if (!real) {
        real = (drmModeConnectorPtr (*)(int, uint32_t))dlsym(RTLD_NEXT, "drmModeGetConnector");
    }
    return keep_preferred(real(fd, id));
}

drmModeConnectorPtr drmModeGetConnectorCurrent(int fd, uint32_t id)
{
    static drmModeConnectorPtr (*real)(int, uint32_t);

    if (!real) {
        real = (drmModeConnectorPtr (*)(int, uint32_t))dlsym(RTLD_NEXT,
                                                             "drmModeGetConnectorCurrent");
    }
    return keep_preferred(real(fd, id));
}

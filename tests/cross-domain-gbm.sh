#!/bin/bash
# Cross-domain images from gbm, which QEMU uses where a DRM render node
# exists.  This machine has none, so the test makes one: it boots the
# rootfs guest on virtio-gpu-gl-pci (virgl on the host's llvmpipe), whose
# kernel gives the guest /dev/dri/renderD128 and whose Mesa drives it with
# gbm, and runs this build's QEMU inside that guest under qtest.  The
# qos-test cases cross-domain-gbm-* (registered only with
# QTEST_CROSS_DOMAIN_GBM set) then get images that are gbm buffer objects
# of the guest's GPU: their layout in the answer, pixels written through
# hostmem, the dma-buf handed to the test's compositor, and a dma-buf the
# compositor sends mapped by the guest.  The inner QEMU and qos-test are
# this build's binaries; the libraries the guest image lacks (QEMU's own,
# not Mesa's) and the firmware go with them.
# env: QEMU_SRC, QEMU_BUILD (default build/qemu and build/qemu-build),
#      plus guest-run.sh's ACCEL, MEM, ...
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"

src=${QEMU_SRC:-$BUILD/qemu}
obj=${QEMU_BUILD:-$BUILD/qemu-build}
OUT=$BUILD/tests/cross-domain-gbm
CHECK_PREFIX="cross-domain-gbm: "
CASES="cross-domain-gbm-capset cross-domain-gbm-image cross-domain-gbm-errors"
NODE=/x86_64/pc/i440FX-pcihost/pci-bus-pc/pci-bus/virtio-gpu-rutabaga-pci
NODE+=/virtio-gpu-rutabaga/virtio-gpu-rutabaga-tests

if [ ! -f "$src/hw/display/virtio-gpu-cross-domain-gbm.c" ]; then
    echo "FAIL: cross-domain-gbm: the series in $src has no gbm images"
    exit 1
fi

need_pkgs squashfs-tools binutils
NINJA_TARGETS="qemu-system-x86_64 tests/qtest/qos-test" \
    "$TOP/scripts/build.sh" "$src" "$obj" >&2
"$TOP/scripts/guest-kernel.sh"
"$TOP/scripts/guest-initramfs.sh"
"$TOP/scripts/guest-rootfs.sh"

# The bundle: bin/ (QEMU behind a wrapper that adds the firmware
# directory, since qos-test takes a bare binary), lib/, fw/
rm -rf "$OUT"
bundle=$OUT/bundle
mkdir -p "$bundle/bin" "$bundle/lib" "$bundle/fw"
strip -o "$bundle/bin/qemu-system-x86_64.real" "$obj/qemu-system-x86_64"
strip -o "$bundle/bin/qos-test" "$obj/tests/qtest/qos-test"
cat > "$bundle/bin/qemu-system-x86_64" <<'EOF'
#!/bin/sh
here=$(dirname "$0")
exec "$here/qemu-system-x86_64.real" -L "$here/../fw" "$@"
EOF
chmod +x "$bundle/bin/qemu-system-x86_64"
unsquashfs -l "$BUILD/guest/rootfs.img" | sed 's|.*/||' | sort -u \
    > "$OUT/rootfs-files"
ldd "$obj/qemu-system-x86_64" "$obj/tests/qtest/qos-test" |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
    while read -r lib; do
        grep -qxF "$(basename "$lib")" "$OUT/rootfs-files" ||
            cp -L "$lib" "$bundle/lib/"
    done
cp -L /usr/share/seabios/*.bin /usr/lib/ipxe/qemu/efi-*.rom \
      /usr/share/qemu/{kvmvapic,linuxboot,linuxboot_dma,pvh}.bin "$bundle/fw/"
tar -C "$bundle" -cf "$OUT/xd-gbm.tar" .

paths=()
for c in $CASES; do
    paths+=(-p "$NODE/$c")
done
cat > "$OUT/cmds" <<EOF
run prep sh -c 'mkdir -p /tmp/b && tar -C /tmp/b -xf /job/bin/xd-gbm.tar &&
                ls /dev/dri'
run gbm -t 900 env LD_LIBRARY_PATH=/tmp/b/lib QTEST_CROSS_DOMAIN_GBM=1 \
    QTEST_QEMU_BINARY=/tmp/b/bin/qemu-system-x86_64 \
    /tmp/b/bin/qos-test --tap ${paths[*]}
EOF

T0=$SECONDS
run=$OUT/run
QEMU=$obj/qemu-system-x86_64 guest_check "$run" virtio-gpu-gl-pci \
    -f "$OUT/xd-gbm.tar" -T 900 -s "$OUT/cmds" || exit 1

log=$run/cmd/gbm.log
check "the guest has a render node" grep -q renderD "$run/cmd/prep.log"
for c in $CASES; do
    check "$c passes in the guest" grep -q "^ok [0-9]* .*/$c\$" "$log"
done
check "qos-test in the guest exits with 0" grep -q '^gbm rc=0 ' \
    "$run/results"
test_summary "$run" "$T0"

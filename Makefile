# The virtio-gpu series for Debian's QEMU 7.2: see README.md.
S := scripts

.PHONY: help base tree export status build guest check demo clean bench asan

help:
	@echo "make demo     build if needed, boot a headless guest on our device, screenshots"
	@echo "make check    everything CI runs; ends with 'N passed, N failed'"
	@echo "make tree     (re)create build/qemu: the base commit plus patches/"
	@echo "make export   rewrite patches/ from build/qemu's commits"
	@echo "make status   do build/qemu and patches/ agree?"
	@echo "make build    build build/bin/qemu-system-x86_64 from build/qemu"
	@echo "make guest    fetch the guest kernel and build the guest initramfs"
	@echo "make bench    benchmarks against upstream 10.2 and stock 7.2 (QUICK=1: <10 min)"
	@echo "make asan     qos-test against QEMU built with Address/LeakSanitizer"

base:
	$(S)/fetch-base.sh

tree:
	$(S)/series.sh tree

export:
	$(S)/series.sh export

status:
	$(S)/series.sh status

# Create the tree only when there is none: never overwrite work in it.
build/qemu/.git:
	$(S)/series.sh tree

build: build/qemu/.git
	$(S)/build.sh

# The demo's guest: Debian's 6.12 kernel (downloaded) and a busybox initramfs.
guest:
	$(S)/guest-kernel.sh
	$(S)/guest-initramfs.sh

check:
	$(S)/check.sh

demo: build
	$(S)/demo.sh

# Benchmarks (bench/run.sh): builds the contenders under build/bench/,
# prints the results directory.  QUICK=1 for --quick; BENCH_ARGS for more.
bench:
	bench/run.sh $(if $(QUICK),--quick) $(BENCH_ARGS)

# qos-test against QEMU built with AddressSanitizer and LeakSanitizer
asan: build/qemu/.git
	$(S)/asan.sh

# Build outputs only: build/qemu (your work) stays.
clean:
	rm -rf build/qemu-build build/bisect build/bin build/logs build/demo \
	    build/tests

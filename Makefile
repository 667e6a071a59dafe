# SPDX-License-Identifier: GPL-2.0
#
# hvsched: the integrated scheduler for Linux mshv, as an overlay of the
# kernel tree.  Orchestration only; nothing here is copied into the kernel.
#
#   make demo     build, boot under QEMU, show the scheduling scenario
#   make check    every check; ends with "N passed, N failed"
#   make tree     build/tree: the base kernel + one commit per patch
#   make series   build/series: the LKML series (format-patch + cover letter)
#   make overlay  write commits edited in build/tree back into the overlay
#   make kernel   build the test kernel only
#   make clean    remove build/ (the downloaded base and ccache stay)
#
# KSRC=/path/to/linux uses an existing kernel tree instead of Debian's
# linux-source-7.3.

SHELL := /bin/bash
HV := tools/hvsched
export KSRC

.PHONY: all demo check tree series overlay kernel debug-kernel deps base clean distclean

all: demo

demo:
	@bash $(HV)/demo.sh

check:
	@bash $(HV)/check.sh

deps:
	@bash $(HV)/deps.sh

base: deps
	@if [ -z "$(KSRC)" ]; then bash $(HV)/fetch-base.sh; fi

tree:
	@source $(HV)/lib.sh && prepare_tree

series: tree
	@bash $(HV)/series.sh

overlay:
	@BASE=$${KSRC:-build/base} python3 $(HV)/export.py . build/tree

kernel: tree
	@source $(HV)/lib.sh && kbuild_test

debug-kernel: tree
	@source $(HV)/lib.sh && kbuild_debug

clean:
	rm -rf build/tree build/out build/series build/ksft build/*.log build/*.cpio.gz build/results.txt

distclean:
	rm -rf build

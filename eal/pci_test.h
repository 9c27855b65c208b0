/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci_test.h - a seam for tests of PCI drivers. Not installed and not
 * exported from libtern.so: tests that use it link libtern.a (tern_test_dep
 * in meson.build), as do the fuzzers.
 */
#ifndef TERN_PCI_TEST_H
#define TERN_PCI_TEST_H

#include <stdint.h>

#include "tern_pci.h"

/*
 * ---- for device models in tests ----
 *
 * A software model of a device (test code only, e.g. a register-level
 * 82599) stands in for a PCI address: tern_pci_open() of that address, and
 * so "-a ADDR", returns a tern_pci_dev with `emul` set and nothing in sysfs
 * or VFIO touched. Its BARs have the lengths given (va stays NULL: register
 * access goes through tern_pci_read32() and friends, I/O BARs through
 * tern_pci_io_*), config space through cfg_read/cfg_write (NULL callbacks:
 * a 256-byte header with the ids and BARs is served by the EAL), and DMA
 * addresses are virtual ones (the model is this process). `ops` and `ctx`
 * must outlive the registration. Returns 0, -EEXIST if the address is taken,
 * -EINVAL on bad arguments.
 */
int tern_pci_emul_register(const struct tern_pci_addr *addr, uint16_t vendor, uint16_t device,
                           const struct tern_pci_emul *ops, void *ctx,
                           const uint64_t bar_len[TERN_PCI_MAX_BARS]);
/* Remove a model; 0 or -ENOENT. Devices already open keep working until closed. */
int tern_pci_emul_unregister(const struct tern_pci_addr *addr);

#endif /* TERN_PCI_TEST_H */

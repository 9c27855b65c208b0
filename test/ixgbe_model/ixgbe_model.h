/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ixgbe_model.h - a software 82599 for tests: the unchanged ixgbe PMD talks
 * to it through the EAL's emulated-BAR hook (tern_pci_emul_register), as it
 * would to a card. Test code only; never part of libtern.
 *
 * A model (struct ixm) owns one descriptor-engine thread - the NIC's DMA
 * engine, beside the CPU - serving all its ports. Each port is a PCI
 * function at an address of the test's choosing ("0000:e0:00.0"). Two ports
 * can be joined by a virtual wire; a port with no peer sends to its sink,
 * which the test drains. Frames on the wire carry no CRC.
 *
 * Register side effects that must be synchronous (reset, clear-on-read
 * counters, queue disable) happen in the register hook itself; descriptors
 * are consumed by the engine, which polls the tails the driver wrote.
 *
 * The model also records the driver's initialization sequence and checks it
 * against 82599 datasheet 4.6.3 (and the per-queue rules of 4.6.7/4.6.8);
 * ixm_init_error() names the first step that came out of order.
 */
#ifndef IXGBE_MODEL_H
#define IXGBE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IXM_MAX_FRAME 16384

struct ixm;
struct ixm_port;

/* A model and its engine thread. NULL on failure. */
struct ixm *ixm_create(void);
/*
 * A model without an engine thread, for tests that move the device one step
 * at a time (a fuzz harness): ixm_engine_step() does one engine pass (each
 * port: send what TDT holds, write what the packet buffer holds into the
 * RX rings) and returns whether it did anything.
 */
struct ixm *ixm_create_stepped(void);
bool ixm_engine_step(struct ixm *m);
/* Stop the engine, unregister every port, free everything. */
void ixm_destroy(struct ixm *m);

/*
 * A new 82599 port (device id, e.g. 0x10fb) at PCI address `addr`, with the
 * MAC address its EEPROM would load. Register before tern_eal_init() so that
 * "-a addr" probes it. NULL on failure.
 */
struct ixm_port *ixm_port_add(struct ixm *m, const char *addr, uint16_t device_id,
                              const uint8_t mac[6]);
/* Join two ports with a wire: what one sends, the other receives. */
void ixm_connect(struct ixm_port *a, struct ixm_port *b);

/* A frame arrives from the wire (no CRC). 0, or -ENOBUFS when the packet buffer is full
 * (then nothing was queued: retry later). */
int ixm_inject(struct ixm_port *p, const void *frame, size_t len);
/* The oldest frame the port sent to its sink: its length, 0 if none. */
size_t ixm_sink_pop(struct ixm_port *p, void *buf, size_t cap);
/* Frames waiting in the port's receive packet buffer (not yet in host memory). */
size_t ixm_rx_pending(struct ixm_port *p);
/* Drop every frame waiting in the receive packet buffer (the cable lost them). */
void ixm_rx_flush(struct ixm_port *p);
/* Frames the port received and dropped by its filters (address, size, disabled queue). */
uint64_t ixm_rx_filtered(struct ixm_port *p);

/* Frames the port has written into host memory (RX descriptors done), since it was added. */
uint64_t ixm_rx_frames(struct ixm_port *p);
/* The same, for RX queue q only. */
uint64_t ixm_rxq_frames(struct ixm_port *p, unsigned q);

/* The cable: LINKS.UP follows it (once the driver set the link up). */
void ixm_link_set(struct ixm_port *p, bool up);

/*
 * Surprise removal: from ixm_unplug() on, the port's register reads return
 * 0xffffffff, writes are lost, frames for it are dropped, and the engine no
 * longer touches its host memory (rings, buffers): when the call returns, no
 * DMA of it is under way. ixm_replug() puts it back as after power-on (all
 * registers reset, the init-sequence check from the start): re-probe it.
 */
void ixm_unplug(struct ixm_port *p);
void ixm_replug(struct ixm_port *p);
/* A chip that hangs in reset: from now on a CTRL.RST write never self-clears. */
void ixm_wedge_reset(struct ixm_port *p, bool on);

/*
 * RX queue q's descriptor ring as the driver programmed it (RDBAL/RDBAH,
 * RDLEN), for a test that writes write-backs itself; its size in *nb_desc.
 * NULL if the queue has no ring.
 */
volatile void *ixm_rx_ring(struct ixm_port *p, unsigned q, unsigned *nb_desc);

/* The first init-sequence error seen ("4.6.3 step ..."), or NULL if all was in order. */
const char *ixm_init_error(struct ixm_port *p);
/* The last 4.6.3 step reached (1..9), see the table in ixgbe_model.c. */
int ixm_init_step(struct ixm_port *p);

/* Register access as the driver has it, for tests that play a driver by hand. */
uint32_t ixm_reg_read(struct ixm_port *p, uint32_t off);
void ixm_reg_write(struct ixm_port *p, uint32_t off, uint32_t val);

/* A register's value without its read side effects (counters are not cleared). */
uint32_t ixm_reg_peek(struct ixm_port *p, uint32_t off);
/* Count traffic that never was: GPRC += packets, GORC += octets (CRC included). */
void ixm_count_rx(struct ixm_port *p, uint32_t packets, uint64_t octets);

/* The Toeplitz hash (7.1.2.8.1) of `len` bytes (at most 36) under a 40-byte key. */
uint32_t ixm_toeplitz(const uint8_t key[40], const uint8_t *data, size_t len);

#endif /* IXGBE_MODEL_H */

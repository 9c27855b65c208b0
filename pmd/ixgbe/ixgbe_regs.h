/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ixgbe_regs.h - the 82599 registers and descriptors the ixgbe PMD uses,
 * named as in the Intel 82599 10 GbE Controller Datasheet (section 8.2.3
 * for registers, 7.1.6 and 7.2.3 for descriptors). Only what the driver uses.
 * The device model under test/ixgbe_model/ does not include this file: it
 * takes its facts from its own table (82599_facts.txt, sourced from Linux's
 * ixgbe_type.h), and the unit test ixgbe_regs_judge checks every definition
 * here against that table.
 *
 * All registers are 32 bits in BAR 0, little endian.
 */
#ifndef TERN_IXGBE_REGS_H
#define TERN_IXGBE_REGS_H

#include <stdint.h>

/* ---- 8.2.3.1 general control ---- */
#define IXGBE_CTRL            0x00000
#define IXGBE_CTRL_LNK_RST    (1u << 3)  /* link reset */
#define IXGBE_CTRL_RST        (1u << 26) /* device (global) reset, self-clearing */
#define IXGBE_CTRL_RST_MASK   (IXGBE_CTRL_LNK_RST | IXGBE_CTRL_RST)
#define IXGBE_STATUS          0x00008 /* 8.2.3.1.2: never all ones on a live device */
#define IXGBE_CTRL_EXT        0x00018
#define IXGBE_CTRL_EXT_NS_DIS (1u << 16) /* no-snoop disable */

/* ---- 8.2.3.2 EEPROM/flash ---- */
#define IXGBE_EEC     0x10010
#define IXGBE_EEC_ARD (1u << 9) /* EEPROM auto-read done */

/* ---- 8.2.3.5 interrupts ---- */
#define IXGBE_EIMC           0x00888
#define IXGBE_IRQ_CLEAR_MASK 0xffffffffu

/* ---- 8.2.3.7 receive DMA: queue n < 64 at 0x1000 + 0x40 n ---- */
#define IXGBE_RDBAL(n)                   (0x01000u + 0x40u * (n))
#define IXGBE_RDBAH(n)                   (0x01004u + 0x40u * (n))
#define IXGBE_RDLEN(n)                   (0x01008u + 0x40u * (n))
#define IXGBE_RDH(n)                     (0x01010u + 0x40u * (n))
#define IXGBE_SRRCTL(n)                  (0x01014u + 0x40u * (n))
#define IXGBE_RDT(n)                     (0x01018u + 0x40u * (n))
#define IXGBE_RXDCTL(n)                  (0x01028u + 0x40u * (n))
#define IXGBE_RXDCTL_ENABLE              (1u << 25)
#define IXGBE_SRRCTL_BSIZEPKT_SHIFT      10 /* BSIZEPACKET is in 1 KiB units, bits 4:0 */
#define IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF (1u << 25)
#define IXGBE_RDRXCTL                    0x02f00
#define IXGBE_RDRXCTL_CRCSTRIP           (1u << 1)
#define IXGBE_RDRXCTL_DMAIDONE           (1u << 3)
#define IXGBE_RXCTRL                     0x03000
#define IXGBE_RXCTRL_RXEN                (1u << 0)

/* ---- 8.2.3.8 receive filters, RSS ---- */
#define IXGBE_RXCSUM                  0x05000
#define IXGBE_RXCSUM_PCSD             (1u << 13) /* descriptor carries the RSS hash, not a checksum */
#define IXGBE_FCTRL                   0x05080
#define IXGBE_FCTRL_MPE               (1u << 8)  /* multicast promiscuous */
#define IXGBE_FCTRL_UPE               (1u << 9)  /* unicast promiscuous */
#define IXGBE_FCTRL_BAM               (1u << 10) /* accept broadcast */
#define IXGBE_MRQC                    0x05818
#define IXGBE_MRQC_RSSEN              (1u << 0)
#define IXGBE_MRQC_RSS_FIELD_IPV4_TCP (1u << 16)
#define IXGBE_MRQC_RSS_FIELD_IPV4     (1u << 17)
#define IXGBE_MRQC_RSS_FIELD_IPV6     (1u << 20)
#define IXGBE_MRQC_RSS_FIELD_IPV6_TCP (1u << 21)
#define IXGBE_MRQC_RSS_FIELD_IPV4_UDP (1u << 22)
#define IXGBE_MRQC_RSS_FIELD_IPV6_UDP (1u << 23)
#define IXGBE_RETA(n)                 (0x05c00u + 4u * (n)) /* 32 registers, 4 one-byte entries each */
#define IXGBE_RETA_ENTRIES            128
#define IXGBE_RSSRK(n)                (0x05c80u + 4u * (n)) /* 10 registers: the 40-byte key */
#define IXGBE_RSS_KEY_LEN             40
#define IXGBE_RAL(n)                  (0x0a200u + 8u * (n))
#define IXGBE_RAH(n)                  (0x0a204u + 8u * (n))
#define IXGBE_RAH_AV                  (1u << 31) /* address valid */

/* ---- 8.2.3.22 MAC ---- */
#define IXGBE_HLREG0                 0x04240
#define IXGBE_HLREG0_TXCRCEN         (1u << 0)
#define IXGBE_HLREG0_RXCRCSTRP       (1u << 1)
#define IXGBE_HLREG0_JUMBOEN         (1u << 2)
#define IXGBE_HLREG0_TXPADEN         (1u << 10)
#define IXGBE_MAXFRS                 0x04268
#define IXGBE_MAXFRS_MFS_SHIFT       16
#define IXGBE_AUTOC                  0x042a0
#define IXGBE_AUTOC_AN_RESTART       (1u << 12)
#define IXGBE_AUTOC_LMS_SHIFT        13
#define IXGBE_AUTOC_LMS_MASK         (7u << IXGBE_AUTOC_LMS_SHIFT)
#define IXGBE_AUTOC_LMS_10G_SERIAL   (3u << IXGBE_AUTOC_LMS_SHIFT)
#define IXGBE_AUTOC_10G_PMA_PMD_MASK 0x00000180u
#define IXGBE_AUTOC_10G_XAUI         0u
#define IXGBE_LINKS                  0x042a4
#define IXGBE_LINKS_UP               (1u << 30)
#define IXGBE_LINKS_SPEED_MASK       (3u << 28)
#define IXGBE_LINKS_SPEED_10G        (3u << 28)
#define IXGBE_LINKS_SPEED_1G         (2u << 28)
#define IXGBE_LINKS_SPEED_100M       (1u << 28)

/* ---- 8.2.3.9 transmit ---- */
#define IXGBE_TDBAL(n)             (0x06000u + 0x40u * (n))
#define IXGBE_TDBAH(n)             (0x06004u + 0x40u * (n))
#define IXGBE_TDLEN(n)             (0x06008u + 0x40u * (n))
#define IXGBE_TDH(n)               (0x06010u + 0x40u * (n))
#define IXGBE_TDT(n)               (0x06018u + 0x40u * (n))
#define IXGBE_TXDCTL(n)            (0x06028u + 0x40u * (n))
#define IXGBE_TXDCTL_ENABLE        (1u << 25)
#define IXGBE_TXDCTL_PTHRESH_SHIFT 0
#define IXGBE_TXDCTL_HTHRESH_SHIFT 8
#define IXGBE_DMATXCTL             0x04a80
#define IXGBE_DMATXCTL_TE          (1u << 0)

/* ---- 8.2.3.23 statistics: clear on read ---- */
#define IXGBE_CRCERRS   0x04000
#define IXGBE_MPC(n)    (0x03fa0u + 4u * (n)) /* 8 of them, one per packet buffer */
#define IXGBE_GPRC      0x04074
#define IXGBE_GPTC      0x04080
#define IXGBE_GORCL     0x04088 /* 36-bit octet counters: low then high */
#define IXGBE_GORCH     0x0408c
#define IXGBE_GOTCL     0x04090
#define IXGBE_GOTCH     0x04094
#define IXGBE_RQSMR(n)  (0x02300u + 4u * (n)) /* queue -> counter set, 4 queues each */
#define IXGBE_TQSM(n)   (0x08600u + 4u * (n))
#define IXGBE_QPRC(n)   (0x01030u + 0x40u * (n)) /* 16 counter sets */
#define IXGBE_QBRC_L(n) (0x01034u + 0x40u * (n))
#define IXGBE_QBRC_H(n) (0x01038u + 0x40u * (n))
#define IXGBE_QPRDC(n)  (0x01430u + 0x40u * (n))
#define IXGBE_QPTC(n)   (0x06030u + 0x40u * (n))
#define IXGBE_QBTC_L(n) (0x08700u + 8u * (n))
#define IXGBE_QBTC_H(n) (0x08704u + 8u * (n))
#define IXGBE_NB_QSTATS 16

/* ---- 7.1.6 advanced receive descriptor ---- */
union ixgbe_adv_rx_desc {
	struct {
		uint64_t pkt_addr; /* buffer address */
		uint64_t hdr_addr; /* header buffer (unused: 0); bit 0 overlaps DD */
	} read;
	struct {
		uint32_t pkt_info; /* 3:0 RSS type, 16:4 packet type */
		uint32_t rss_hash;
		uint32_t status_error; /* 19:0 extended status, 31:20 errors */
		uint16_t length;
		uint16_t vlan;
	} wb;
};
#define IXGBE_RXD_STAT_DD             (1u << 0)
#define IXGBE_RXD_STAT_EOP            (1u << 1)
#define IXGBE_RXDADV_ERR_RXE          (1u << 29) /* any MAC error: CRC, length, symbol */
#define IXGBE_RXDADV_RSSTYPE_MASK     0xfu       /* 0: no hash for this frame */
#define IXGBE_RXDADV_RSSTYPE_IPV4_TCP 0x1u
#define IXGBE_RXDADV_RSSTYPE_IPV4     0x2u
#define IXGBE_RXDADV_RSSTYPE_IPV6_TCP 0x3u
#define IXGBE_RXDADV_RSSTYPE_IPV6     0x5u
#define IXGBE_RXDADV_RSSTYPE_IPV4_UDP 0x7u
#define IXGBE_RXDADV_RSSTYPE_IPV6_UDP 0x8u
#define IXGBE_RXDADV_PKTTYPE_IPV4     0x00000010u
#define IXGBE_RXDADV_PKTTYPE_IPV6     0x00000040u
#define IXGBE_RXDADV_PKTTYPE_TCP      0x00000100u
#define IXGBE_RXDADV_PKTTYPE_UDP      0x00000200u

/* ---- 7.2.3.2.4 advanced transmit data descriptor ---- */
union ixgbe_adv_tx_desc {
	struct {
		uint64_t buffer_addr;
		uint32_t cmd_type_len;  /* 15:0 length, 23:20 type, 31:24 command */
		uint32_t olinfo_status; /* 31:14 PAYLEN */
	} read;
	struct {
		uint64_t rsvd;
		uint32_t nxtseq_seed;
		uint32_t status; /* bit 0: DD */
	} wb;
};
#define IXGBE_ADVTXD_DTALEN_MASK  0x0000ffffu
#define IXGBE_ADVTXD_DTYP_DATA    0x00300000u
#define IXGBE_ADVTXD_DCMD_EOP     0x01000000u
#define IXGBE_ADVTXD_DCMD_IFCS    0x02000000u
#define IXGBE_ADVTXD_DCMD_RS      0x08000000u
#define IXGBE_ADVTXD_DCMD_DEXT    0x20000000u
#define IXGBE_ADVTXD_PAYLEN_SHIFT 14
#define IXGBE_ADVTXD_STAT_DD      (1u << 0)
#define IXGBE_TX_MAX_SEGS         40 /* 7.2.3.3: data descriptors per packet */

_Static_assert(sizeof(union ixgbe_adv_rx_desc) == 16, "7.1.6: 16-byte RX descriptors");
_Static_assert(sizeof(union ixgbe_adv_tx_desc) == 16, "7.2.3: 16-byte TX descriptors");

/* ---- PCI ids (Intel 8086) ---- */
#define IXGBE_VENDOR_INTEL 0x8086
#define IXGBE_BAR0_LEN     0x20000 /* 128 KiB of registers in BAR 0 */

#endif /* TERN_IXGBE_REGS_H */

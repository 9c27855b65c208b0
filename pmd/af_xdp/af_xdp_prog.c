/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * af_xdp_prog.c - the XDP program in front of an af_xdp port's sockets.
 *
 * tern's own program is five BPF instructions, assembled here (no BPF
 * compiler needed), the same logic as libxdp's default xsk program:
 *
 *     return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
 *
 * Frames of a NIC queue with a socket in the XSKMAP go to that socket; the
 * others (queues tern does not poll) go on to the kernel stack. The lower
 * bits of bpf_redirect_map's flags are the action when the map has no entry
 * (include/uapi/linux/bpf.h, since Linux 5.3).
 *
 * xdp_prog=PATH loads a user's BPF object instead: its first XDP program,
 * and its map named "xsks_map" (of type BPF_MAP_TYPE_XSKMAP) as the socket
 * map, as with DPDK's net_af_xdp.
 *
 * The program is attached through a bpf_link (BPF_LINK_CREATE, Linux 5.9):
 * it stays attached while the link's file descriptor is open, so a process
 * killed with -9 leaves nothing behind that would block its next start, and
 * tern never detaches a program it did not attach. A program already on the
 * interface is someone else's: the port refuses to start and says so.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#include "af_xdp.h"
#include "tern_eal.h"
#include "tern_error.h"
#include "tern_log.h"

/* A user's program, or the one tern attached and lost track of? Name it. */
static void prog_name(uint32_t id, char *buf, size_t len)
{
	struct bpf_prog_info info;
	uint32_t info_len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	snprintf(buf, len, "id %u", id);
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) == 0 && info.name[0] != '\0')
		snprintf(buf, len, "'%s', id %u", info.name, id);
	close(fd);
}

/*
 * Refuse an interface that already carries an XDP program: it is not ours
 * to replace.
 */
int tern_axp_prog_check_iface(struct axp_port *ap, const char *name)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char what[64];
	int ret;

	ret = bpf_xdp_query(ap->ifindex, 0, &q);
	if (ret < 0)
		return 0; /* an old kernel: bind or attach will say what is wrong */
	if (q.prog_id == 0 && q.drv_prog_id == 0 && q.skb_prog_id == 0 && q.hw_prog_id == 0)
		return 0;
	prog_name(q.prog_id ? q.prog_id
	                    : (q.drv_prog_id ? q.drv_prog_id
	                                     : (q.skb_prog_id ? q.skb_prog_id : q.hw_prog_id)),
	          what, sizeof(what));
	/* ip-link(8): the detach command names the mode the program is attached in. */
	const char *off = q.skb_prog_id   ? "xdpgeneric off"
	                  : q.hw_prog_id  ? "xdpoffload off"
	                  : q.drv_prog_id ? "xdpdrv off"
	                                  : "xdp off";
	(void)tern_error(EBUSY, AXP_LOG,
	                 "%s: interface %s already has an XDP program (%s) that tern did not "
	                 "attach: tern leaves it alone; detach it first (ip link set dev %s %s) "
	                 "if nothing else needs it",
	                 name, ap->iface, what, ap->iface, off);
	return -EBUSY;
}

/* tern's program: see the top. The map fd goes into a BPF_LD_IMM64 pair. */
static int prog_load_own(struct axp_port *ap)
{
	LIBBPF_OPTS(bpf_map_create_opts, mopts);
	struct bpf_insn insns[] = {
	    /* r2 = ctx->rx_queue_index (r1 is struct xdp_md *) */
	    {.code = BPF_LDX | BPF_MEM | BPF_W,
	     .dst_reg = BPF_REG_2,
	     .src_reg = BPF_REG_1,
	     .off = offsetof(struct xdp_md, rx_queue_index)},
	    /* r1 = &xsks_map (a 16-byte load: the second half carries the upper 32 bits) */
	    /* BPF_LD and BPF_IMM are both 0: the opcode is spelled by its class, size and mode
	       fields, as the BPF ISA lists "64-bit immediate instructions". */
	    /* NOLINTNEXTLINE(misc-redundant-expression): the three fields, not a typo */
	    {.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD},
	    {0},
	    /* r3 = XDP_PASS: the action for a queue with no socket */
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = XDP_PASS},
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, popts);
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "tern_xsks", sizeof(uint32_t), sizeof(int),
	                    ap->iface_queues, &mopts);
	if (fd < 0)
		return fd;
	ap->map_fd = fd;
	insns[1].imm = fd;
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "tern_xsk_redir", "Dual BSD/GPL", insns,
	                   TERN_DIM(insns), &popts);
	if (fd < 0)
		return fd;
	ap->prog_fd = fd;
	return 0;
}

/* xdp_prog=PATH: the object's first XDP program and its "xsks_map". */
static int prog_load_user(struct axp_port *ap)
{
	struct bpf_object *obj = bpf_object__open_file(ap->xdp_prog, NULL);
	struct bpf_program *prog;
	struct bpf_map *map;
	int ret;

	ret = libbpf_get_error(obj);
	if (ret != 0) {
		return tern_error(ret, AXP_LOG, "%s: xdp_prog=%s: cannot open it: %s", ap->dev.name,
		                  ap->xdp_prog, strerror(-ret));
	}
	ap->bpf_obj = obj;
	ret = bpf_object__load(obj);
	if (ret < 0) {
		return tern_error(ret, AXP_LOG,
		                  "%s: xdp_prog=%s: the kernel refused to load it: %s",
		                  ap->dev.name, ap->xdp_prog, strerror(-ret));
	}
	bpf_object__for_each_program(prog, obj)
	{
		if (bpf_program__type(prog) == BPF_PROG_TYPE_XDP)
			break;
	}
	map = bpf_object__find_map_by_name(obj, "xsks_map");
	if (prog == NULL || map == NULL || bpf_map__type(map) != BPF_MAP_TYPE_XSKMAP) {
		return tern_error(
		    -EINVAL, AXP_LOG,
		    "%s: xdp_prog=%s needs an XDP program and a BPF_MAP_TYPE_XSKMAP named "
		    "xsks_map (keyed by rx_queue_index)",
		    ap->dev.name, ap->xdp_prog);
	}
	ap->prog_fd = bpf_program__fd(prog);
	ap->map_fd = bpf_map__fd(map);
	return 0;
}

int tern_axp_prog_attach(struct axp_port *ap)
{
	int ret;

	ap->map_fd = ap->prog_fd = ap->link_fd = -1;
	ret = tern_axp_prog_check_iface(ap, ap->dev.name);
	if (ret < 0)
		return ret;
	ret = ap->xdp_prog[0] != '\0' ? prog_load_user(ap) : prog_load_own(ap);
	if (ret < 0) {
		if (ap->xdp_prog[0] == '\0')
			(void)tern_error(
			    ret, AXP_LOG, "%s: loading the XDP program: %s%s", ap->dev.name,
			    strerror(-ret),
			    ret == -EPERM ? ": needs CAP_BPF and CAP_NET_ADMIN (or root)" : "");
		goto fail;
	}
	/*
	 * Native (driver) mode first; generic (skb) mode for a driver without
	 * XDP support, unless zero-copy was asked for, which needs the driver.
	 */
	for (int native = 1; native >= 0; native--) {
		LIBBPF_OPTS(bpf_link_create_opts, lopts,
		            .flags = native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);

		if (!native && ap->mode == AXP_MODE_ZC)
			break;
		ap->link_fd = bpf_link_create(ap->prog_fd, ap->ifindex, BPF_XDP, &lopts);
		if (ap->link_fd >= 0) {
			ap->native = native;
			return 0;
		}
		ret = -errno;
		if (ret == -EBUSY || ret == -EEXIST) { /* attached meanwhile, by someone else */
			tern_axp_prog_check_iface(ap, ap->dev.name);
			goto fail;
		}
	}
	(void)tern_error(ret, AXP_LOG, "%s: attaching the XDP program to %s: %s%s", ap->dev.name,
	                 ap->iface, strerror(-ret),
	                 ap->mode == AXP_MODE_ZC ? " (mode=zc needs native XDP in the driver)"
	                                         : "");
fail:
	tern_axp_prog_detach(ap);
	return ret;
}

int tern_axp_prog_map_set(struct axp_port *ap, uint32_t nic_queue, int xsk_fd)
{
	if (bpf_map_update_elem(ap->map_fd, &nic_queue, &xsk_fd, BPF_ANY) == 0)
		return 0;
	int ret = -errno;
	return tern_error(ret, AXP_LOG, "%s: socket of queue %u into the XSKMAP: %s", ap->dev.name,
	                  nic_queue, strerror(-ret));
}

void tern_axp_prog_map_clear(struct axp_port *ap, uint32_t nic_queue)
{
	if (ap->map_fd >= 0)
		(void)bpf_map_delete_elem(ap->map_fd, &nic_queue);
}

/* Only what tern_axp_prog_attach made: closing our link detaches our program. */
void tern_axp_prog_detach(struct axp_port *ap)
{
	if (ap->link_fd >= 0)
		close(ap->link_fd);
	if (ap->bpf_obj != NULL) {
		bpf_object__close(ap->bpf_obj); /* closes its program and map */
	} else {
		if (ap->prog_fd >= 0)
			close(ap->prog_fd);
		if (ap->map_fd >= 0)
			close(ap->map_fd);
	}
	ap->bpf_obj = NULL;
	ap->link_fd = ap->prog_fd = ap->map_fd = -1;
}

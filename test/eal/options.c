/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * options.c - tern_eal_parse_args(): what each DPDK-style option puts in the
 * config, how many arguments it consumes, and the one line each mistake gets.
 */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tern_eal.h"

#define MAX_ARGS 80

typedef void (*expect_fn)(struct tern_eal_config *cfg);

struct good_case {
	const char *argv[16];
	int consumed;
	expect_fn expect; /* turns a default config into the expected one */
};

static void e_none(struct tern_eal_config *c)
{
	(void)c;
}
static void e_cores(struct tern_eal_config *c)
{
	strcpy(c->cores, "0-3,6");
}
static void e_core1(struct tern_eal_config *c)
{
	strcpy(c->cores, "1");
}
static void e_vdev(struct tern_eal_config *c)
{
	c->nb_vdev = 1;
	strcpy(c->vdev[0].name, "net_null0");
	strcpy(c->vdev[0].args, "size=64,x=1");
}
static void e_vdev_eq(struct tern_eal_config *c)
{
	c->nb_vdev = 2;
	strcpy(c->vdev[0].name, "null1");
	strcpy(c->vdev[1].name, "Null_2");
	strcpy(c->vdev[1].args, "a=b");
}
static void e_pci_short(struct tern_eal_config *c)
{
	c->nb_pci = 1;
	strcpy(c->pci[0].name, "0000:00:03.0");
}
static void e_pci_full(struct tern_eal_config *c)
{
	c->nb_pci = 1;
	strcpy(c->pci[0].name, "0001:af:1f.7");
	strcpy(c->pci[0].args, "k=v,rxq=2");
}
static void e_plugins(struct tern_eal_config *c)
{
	c->nb_plugins = 2;
	strcpy(c->plugins[0], "/tmp/plug.so");
	strcpy(c->plugins[1], "drivers/");
}
static void e_no_huge(struct tern_eal_config *c)
{
	c->no_huge = true;
}
static void e_mem(struct tern_eal_config *c)
{
	c->mem_mb = 512;
}
static void e_socket_mem(struct tern_eal_config *c)
{
	c->socket_mem_mb[0] = 1024;
	c->socket_mem_mb[1] = 0;
	c->socket_mem_mb[2] = 512;
}
static void e_log_global(struct tern_eal_config *c)
{
	c->log_level = 7;
}
static void e_log_comp(struct tern_eal_config *c)
{
	c->log_level = 4;
	c->nb_log_levels = 2;
	strcpy(c->log_levels[0].component, "eal");
	c->log_levels[0].level = 8;
	strcpy(c->log_levels[1].component, "ring");
	c->log_levels[1].level = 5;
}
static void e_iova_pa(struct tern_eal_config *c)
{
	c->iova_mode = TERN_IOVA_PA;
}
static void e_iova_va(struct tern_eal_config *c)
{
	c->iova_mode = TERN_IOVA_VA;
}
static void e_core0(struct tern_eal_config *c)
{
	strcpy(c->cores, "0");
}
static void e_all(struct tern_eal_config *c)
{
	strcpy(c->cores, "0-1");
	c->no_huge = true;
	c->mem_mb = 64;
	c->nb_vdev = 1;
	strcpy(c->vdev[0].name, "net_null0");
}

static const struct good_case good[] = {
    {{"prog", NULL}, 0, e_none},
    {{NULL}, 0, e_none}, /* argc 0: not even a program name */
    {{"prog", "-l", "0-3,6", NULL}, 2, e_cores},
    {{"prog", "-l1", NULL}, 1, e_core1},
    {{"prog", "-l", "2", "-l", "1", NULL}, 4, e_core1}, /* the last -l wins */
    {{"prog", "--vdev", "net_null0,size=64,x=1", NULL}, 2, e_vdev},
    {{"prog", "--vdev=null1", "--vdev", "Null_2,a=b", NULL}, 3, e_vdev_eq},
    {{"prog", "-a", "00:03.0", NULL}, 2, e_pci_short},
    {{"prog", "-a0001:AF:1f.7,k=v,rxq=2", NULL}, 1, e_pci_full},
    {{"prog", "-d", "/tmp/plug.so", "-ddrivers/", NULL}, 3, e_plugins},
    {{"prog", "--no-huge", NULL}, 1, e_no_huge},
    {{"prog", "-m", "512", NULL}, 2, e_mem},
    {{"prog", "--socket-mem=1024,0,512", NULL}, 1, e_socket_mem},
    {{"prog", "--log-level", "7", NULL}, 2, e_log_global},
    {{"prog", "--log-level", "eal:debug", "--log-level=ring:warn", "--log-level", "error",
      "--log-level", "eal:8", NULL},
     7,
     e_log_comp},
    {{"prog", "--iova-mode", "pa", NULL}, 2, e_iova_pa},
    {{"prog", "--iova-mode=va", NULL}, 1, e_iova_va},
    /* "--" ends the EAL options and is consumed; what follows is the app's. */
    {{"prog", "-l", "0", "--", "-x", "--foo", NULL}, 3, e_core0},
    {{"prog", "--", "-l", "0", NULL}, 1, e_none},
    /* The first non-option stops parsing without error, and is not consumed. */
    {{"prog", "app", "-l", "0", NULL}, 0, e_none},
    {{"prog", "--no-huge", "app", "-l", "0", NULL}, 1, e_no_huge},
    {{"prog", "-l", "0", "-", "-l", "1", NULL}, 2, e_core0},
    {{"prog", "-l", "0-1", "--no-huge", "-m", "64", "--vdev", "net_null0", "--", "-p", "3", NULL},
     8,
     e_all},
};

static int count_args(const char *const *argv)
{
	int n = 0;

	while (argv[n])
		n++;
	return n;
}

Test(options, good_inputs_fill_every_field_and_count_right)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct good_case *c = &good[i];
		int argc = count_args(c->argv);
		char *argv[MAX_ARGS], *copy[MAX_ARGS], saved[MAX_ARGS][128];
		struct tern_eal_config got, want;

		for (int a = 0; a < argc; a++) {
			strcpy(saved[a], c->argv[a]);
			argv[a] = saved[a];
			copy[a] = argv[a];
		}
		argv[argc] = NULL;
		tern_eal_config_init(&got);
		tern_eal_config_init(&want);
		c->expect(&want);

		int n = tern_eal_parse_args(&got, argc, argv);

		cr_assert_eq(n, c->consumed, "case %zu: consumed %d, want %d (%s)", i, n,
		             c->consumed, tern_eal_last_error());
		cr_assert(memcmp(&got, &want, sizeof(got)) == 0, "case %zu: config differs", i);
		for (int a = 0; a < argc; a++) {
			cr_assert_eq(argv[a], copy[a], "case %zu: argv[%d] pointer changed", i, a);
			cr_assert_str_eq(argv[a], c->argv[a], "case %zu: argv[%d] text changed", i,
			                 a);
		}
		cr_assert_null(argv[argc]);
	}
}

struct bad_case {
	const char *argv[8];
	const char *error;
};

static const struct bad_case bad[] = {
    {{"p", "-l", "0-x"}, "eal: bad core list '0-x' for -l: use numbers and ranges like 0-3,6"},
    {{"p", "-l", "3-1"}, "eal: bad core list '3-1' for -l: use numbers and ranges like 0-3,6"},
    {{"p", "-l", "1,"}, "eal: bad core list '1,' for -l: use numbers and ranges like 0-3,6"},
    {{"p", "-l", "-1"}, "eal: bad core list '-1' for -l: use numbers and ranges like 0-3,6"},
    {{"p", "-l", " 1"}, "eal: bad core list ' 1' for -l: use numbers and ranges like 0-3,6"},
    {{"p", "-l", "0-2,1"},
     "eal: core 1 appears twice in core list '0-2,1' for -l: name each core once"},
    {{"p", "-l", "200"},
     "eal: core 200 in core list '200' for -l is too large: tern supports cores 0-127"},
    {{"p", "-l", "99999999999999999999999"},
     "eal: bad core list '99999999999999999999999' for -l: use numbers and ranges like 0-3,6"},
    {{"p", "-l"}, "eal: -l needs a core list like 0-3,6"},
    {{"p", "--foo"}, "eal: unknown option '--foo': see doc/options.md for the EAL options"},
    {{"p", "--foo=bar"}, "eal: unknown option '--foo': see doc/options.md for the EAL options"},
    {{"p", "-x"}, "eal: unknown option '-x': see doc/options.md for the EAL options"},
    {{"p", "--no-hugepages"},
     "eal: unknown option '--no-hugepages': see doc/options.md for the EAL options"},
    {{"p", "-m", "abc"}, "eal: -m needs a number of megabytes, got 'abc'"},
    {{"p", "-m", "12x"}, "eal: -m needs a number of megabytes, got '12x'"},
    {{"p", "-m", "-5"}, "eal: -m needs a number of megabytes, got '-5'"},
    {{"p", "-m", "0"}, "eal: -m needs a number of megabytes, got '0'"},
    {{"p", "-m", ""}, "eal: -m needs a number of megabytes, got ''"},
    {{"p", "-m", "99999999999999999999"},
     "eal: -m needs a number of megabytes, got '99999999999999999999'"},
    {{"p", "-m"}, "eal: -m needs a number of megabytes"},
    {{"p", "--socket-mem", "1024,,5"},
     "eal: --socket-mem needs megabytes per socket like 1024,1024, got '1024,,5'"},
    {{"p", "--socket-mem=1,2,3,4,5,6,7,8,9"},
     "eal: --socket-mem '1,2,3,4,5,6,7,8,9' names more than 8 sockets"},
    {{"p", "-a", "0000:00:3.0"},
     "eal: bad PCI address '0000:00:3.0' for -a: use DDDD:BB:DD.F or BB:DD.F, like "
     "0000:00:03.0"},
    {{"p", "-a", "00:20.0,k=v"},
     "eal: bad PCI address '00:20.0' for -a: use DDDD:BB:DD.F or BB:DD.F, like 0000:00:03.0"},
    {{"p", "-a", "00:03.8"},
     "eal: bad PCI address '00:03.8' for -a: use DDDD:BB:DD.F or BB:DD.F, like 0000:00:03.0"},
    {{"p", "--vdev", "net-null"},
     "eal: bad device name 'net-null' for --vdev: use 1-63 letters, digits and _, like "
     "net_null0"},
    {{"p", "--vdev", ",a=b"},
     "eal: bad device name '' for --vdev: use 1-63 letters, digits and _, like net_null0"},
    {{"p", "--no-huge=1"}, "eal: --no-huge takes no value, got '1'"},
    {{"p", "--log-level", "loud"},
     "eal: bad level 'loud' for --log-level: use 1-8 or emerg, alert, crit, err, warning, "
     "notice, info, debug"},
    {{"p", "--log-level", "9"},
     "eal: bad level '9' for --log-level: use 1-8 or emerg, alert, crit, err, warning, "
     "notice, info, debug"},
    {{"p", "--log-level", ":debug"},
     "eal: bad component in --log-level ':debug': use COMPONENT:LEVEL, like eal:debug"},
    {{"p", "--iova-mode", "xx"}, "eal: bad --iova-mode 'xx': use pa or va"},
    {{"p", "-d", ""}, "eal: -d needs a file or directory path of 1-511 characters"},
    /* Errors after good options still fail the whole call. */
    {{"p", "-l", "0", "--bogus", "--", "x"},
     "eal: unknown option '--bogus': see doc/options.md for the EAL options"},
};

Test(options, bad_inputs_fail_with_one_clear_line_and_leave_config_alone)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tern_eal_config cfg, before;
		int argc = count_args(bad[i].argv);

		tern_eal_config_init(&cfg);
		strcpy(cfg.cores, "5");
		before = cfg;
		int ret = tern_eal_parse_args(&cfg, argc, (char *const *)bad[i].argv);

		cr_assert_eq(ret, -EINVAL, "case %zu: returned %d", i, ret);
		cr_assert_str_eq(tern_eal_last_error(), bad[i].error, "case %zu", i);
		cr_assert(memcmp(&cfg, &before, sizeof(cfg)) == 0, "case %zu: config changed", i);
	}
}

Test(options, too_many_devices)
{
	const char *argv[2 + 2 * 33];
	struct tern_eal_config cfg;
	int argc = 0;

	argv[argc++] = "p";
	for (int i = 0; i < 33; i++) {
		argv[argc++] = "--vdev";
		argv[argc++] = "null0";
	}
	tern_eal_config_init(&cfg);
	cr_assert_eq(tern_eal_parse_args(&cfg, argc - 2, (char *const *)argv), 64);
	cr_assert_eq(cfg.nb_vdev, 32);
	tern_eal_config_init(&cfg);
	cr_assert_eq(tern_eal_parse_args(&cfg, argc, (char *const *)argv), -EINVAL);
	cr_assert_str_eq(tern_eal_last_error(), "eal: too many --vdev (at most 32)");
}

Test(options, init_args_returns_consumed_count_and_app_args_follow)
{
	char *argv[] = {"prog", "--no-huge", "-l", "0", "--", "--app-flag", NULL};
	int n = tern_eal_init_args(6, argv);

	cr_assert_eq(n, 4, "%d: %s", n, tern_eal_last_error());
	cr_assert_str_eq(argv[1 + n], "--app-flag");
	cr_assert(tern_eal_is_initialized());
	cr_assert_eq(tern_eal_get_config()->no_huge, true);
	cr_assert_eq(tern_eal_cleanup(), 0);
}

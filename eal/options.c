/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * options.c - DPDK-style EAL options into a struct tern_eal_config.
 *
 * No getopt: its global state (optind, optarg, permutation of argv) would
 * fight with a host application that parses its own arguments. This parser
 * reads argv, never writes it, and fills the config only when every option
 * is good.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern_eal.h"
#include "eal_internal.h"

#define MAX_MB (SIZE_MAX >> 20) /* so that MB << 20 fits in a size_t */

struct option_def {
	const char *name; /* as the user types it: "-l", "--vdev" */
	bool has_arg;
	const char *needs; /* what its value must be, for error lines */
	int (*apply)(struct tern_eal_config *cfg, const char *opt, const char *val);
};

/* Strict unsigned decimal: digits only, no sign, no spaces, no overflow past max. */
static bool parse_number(const char *s, size_t len, size_t max, size_t *out)
{
	size_t v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static int opt_cores(struct tern_eal_config *cfg, const char *opt, const char *val)
{
	int cpus[TERN_MAX_LCORE];

	if (strlen(val) >= sizeof(cfg->cores)) {
		return tern_error(EINVAL, EAL_LOG,
		                  "core list for %s is too long (at most %zu characters)", opt,
		                  sizeof(cfg->cores) - 1);
	}
	if (eal_parse_corelist(val, opt, cpus, TERN_MAX_LCORE) < 0)
		return -EINVAL;
	strlcpy(cfg->cores, val, sizeof(cfg->cores));
	return 0;
}

/* Read exactly n hex digits. */
static bool hex_field(const char **p, unsigned n, unsigned *out)
{
	unsigned v = 0;

	for (unsigned i = 0; i < n; i++) {
		int h = tern_hexval((*p)[i]);

		if (h < 0)
			return false;
		v = v * 16 + (unsigned)h;
	}
	*p += n;
	*out = v;
	return true;
}

/* "DDDD:BB:DD.F" or "BB:DD.F" (len chars of s) into the full lower-case form. */
static bool parse_pci_addr(const char *s, size_t len, char *out, size_t out_len)
{
	unsigned dom = 0, bus, dev, fn;
	const char *p = s;

	if (len == 12) {
		if (!hex_field(&p, 4, &dom) || *p++ != ':')
			return false;
	} else if (len != 7) {
		return false;
	}
	if (!hex_field(&p, 2, &bus) || *p++ != ':' || !hex_field(&p, 2, &dev) || *p++ != '.' ||
	    !hex_field(&p, 1, &fn))
		return false;
	/* PCI: 32 devices per bus, 8 functions per device. */
	if (dev > 0x1f || fn > 7)
		return false;
	snprintf(out, out_len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return true;
}

/* Split "name,args" at the first ',' into a devarg; the name is checked by the caller. */
static int split_devarg(const char *opt, const char *val, struct tern_eal_devarg *da,
                        size_t *name_len)
{
	const char *comma = strchr(val, ',');
	size_t nlen = comma ? (size_t)(comma - val) : strlen(val);

	if (comma && strlen(comma + 1) >= sizeof(da->args)) {
		return tern_error(EINVAL, EAL_LOG,
		                  "device arguments of %s '%s' are too long (at most %zu "
		                  "characters)",
		                  opt, val, sizeof(da->args) - 1);
	}
	memset(da, 0, sizeof(*da));
	if (comma)
		strlcpy(da->args, comma + 1, sizeof(da->args));
	*name_len = nlen;
	return 0;
}

static int opt_pci(struct tern_eal_config *cfg, const char *opt, const char *val)
{
	struct tern_eal_devarg *da;
	size_t nlen;

	if (cfg->nb_pci >= TERN_EAL_MAX_DEVARGS) {
		return tern_error(EINVAL, EAL_LOG, "too many %s (at most %d)", opt,
		                  TERN_EAL_MAX_DEVARGS);
	}
	da = &cfg->pci[cfg->nb_pci];
	if (split_devarg(opt, val, da, &nlen))
		return -EINVAL;
	if (!parse_pci_addr(val, nlen, da->name, sizeof(da->name))) {
		return tern_error(EINVAL, EAL_LOG,
		                  "bad PCI address '%.*s' for %s: use DDDD:BB:DD.F or BB:DD.F, "
		                  "like 0000:00:03.0",
		                  (int)nlen, val, opt);
	}
	cfg->nb_pci++;
	return 0;
}

static int opt_vdev(struct tern_eal_config *cfg, const char *opt, const char *val)
{
	struct tern_eal_devarg *da;
	size_t nlen;

	if (cfg->nb_vdev >= TERN_EAL_MAX_DEVARGS) {
		return tern_error(EINVAL, EAL_LOG, "too many %s (at most %d)", opt,
		                  TERN_EAL_MAX_DEVARGS);
	}
	da = &cfg->vdev[cfg->nb_vdev];
	if (split_devarg(opt, val, da, &nlen))
		return -EINVAL;
	bool ok = nlen > 0 && nlen < sizeof(da->name);

	for (size_t i = 0; ok && i < nlen; i++) {
		char c = val[i];

		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '_';
	}
	if (!ok) {
		return tern_error(EINVAL, EAL_LOG,
		                  "bad device name '%.*s' for %s: use 1-%zu letters, digits and _, "
		                  "like net_null0",
		                  (int)nlen, val, opt, sizeof(da->name) - 1);
	}
	memcpy(da->name, val, nlen);
	da->name[nlen] = '\0';
	cfg->nb_vdev++;
	return 0;
}

static int opt_plugin(struct tern_eal_config *cfg, const char *opt, const char *val)
{
	if (cfg->nb_plugins >= TERN_EAL_MAX_PLUGINS) {
		return tern_error(EINVAL, EAL_LOG, "too many %s (at most %d)", opt,
		                  TERN_EAL_MAX_PLUGINS);
	}
	if (val[0] == '\0' || strlen(val) >= TERN_EAL_PATH_LEN) {
		return tern_error(EINVAL, EAL_LOG,
		                  "%s needs a file or directory path of 1-%d characters", opt,
		                  TERN_EAL_PATH_LEN - 1);
	}
	strlcpy(cfg->plugins[cfg->nb_plugins++], val, TERN_EAL_PATH_LEN);
	return 0;
}

static int opt_no_huge(struct tern_eal_config *cfg, const char *opt, const char *val)
{
	(void)opt;
	(void)val;
	cfg->no_huge = true;
	return 0;
}

static int opt_mem(struct tern_eal_config *cfg, const char *opt, const char *val)
{
	size_t mb;

	if (!parse_number(val, strlen(val), MAX_MB, &mb) || mb == 0) {
		return tern_error(EINVAL, EAL_LOG, "%s needs a number of megabytes, got '%s'", opt,
		                  val);
	}
	cfg->mem_mb = mb;
	return 0;
}

static int opt_socket_mem(struct tern_eal_config *cfg, const char *opt, const char *val)
{
	size_t mb[TERN_MAX_NUMA_NODES] = {0};
	const char *p = val;
	unsigned n = 0;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (n == TERN_MAX_NUMA_NODES) {
			return tern_error(EINVAL, EAL_LOG, "%s '%s' names more than %d sockets",
			                  opt, val, TERN_MAX_NUMA_NODES);
		}
		if (!parse_number(p, len, MAX_MB, &mb[n])) {
			return tern_error(EINVAL, EAL_LOG,
			                  "%s needs megabytes per socket like 1024,1024, got '%s'",
			                  opt, val);
		}
		n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	memcpy(cfg->socket_mem_mb, mb, sizeof(mb));
	return 0;
}

static int opt_log_level(struct tern_eal_config *cfg, const char *opt, const char *val)
{
	const char *colon = strrchr(val, ':');
	const char *lvl = colon ? colon + 1 : val;
	int level = tern_log_level_parse(lvl);
	size_t clen = colon ? (size_t)(colon - val) : 0;

	if (level < 0) {
		return tern_error(EINVAL, EAL_LOG,
		                  "bad level '%s' for %s: use 1-8 or emerg, alert, crit, err, "
		                  "warning, notice, info, debug",
		                  lvl, opt);
	}
	if (colon == NULL) {
		cfg->log_level = level;
		return 0;
	}
	if (clen == 0 || clen >= TERN_LOG_COMPONENT_LEN) {
		return tern_error(EINVAL, EAL_LOG,
		                  "bad component in %s '%s': use COMPONENT:LEVEL, like eal:debug",
		                  opt, val);
	}
	/* The last word for a component wins, as when levels are set one by one. */
	unsigned i;

	for (i = 0; i < cfg->nb_log_levels; i++)
		if (strncmp(cfg->log_levels[i].component, val, clen) == 0 &&
		    cfg->log_levels[i].component[clen] == '\0')
			break;
	if (i == TERN_EAL_MAX_LOG_LEVELS) {
		return tern_error(EINVAL, EAL_LOG, "too many components in %s (at most %d)", opt,
		                  TERN_EAL_MAX_LOG_LEVELS);
	}
	memcpy(cfg->log_levels[i].component, val, clen);
	cfg->log_levels[i].component[clen] = '\0';
	cfg->log_levels[i].level = level;
	if (i == cfg->nb_log_levels)
		cfg->nb_log_levels++;
	return 0;
}

static int opt_iova(struct tern_eal_config *cfg, const char *opt, const char *val)
{
	if (strcmp(val, "pa") == 0) {
		cfg->iova_mode = TERN_IOVA_PA;
	} else if (strcmp(val, "va") == 0) {
		cfg->iova_mode = TERN_IOVA_VA;
	} else {
		return tern_error(EINVAL, EAL_LOG, "bad %s '%s': use pa or va", opt, val);
	}
	return 0;
}

static const struct option_def options[] = {
    {"-l", true, "a core list like 0-3,6", opt_cores},
    {"-a", true, "a PCI address like 0000:00:03.0", opt_pci},
    {"--vdev", true, "a device like net_null0,size=64", opt_vdev},
    {"-d", true, "a plugin file or directory", opt_plugin},
    {"--no-huge", false, NULL, opt_no_huge},
    {"-m", true, "a number of megabytes", opt_mem},
    {"--socket-mem", true, "megabytes per socket like 1024,1024", opt_socket_mem},
    {"--log-level", true, "[COMPONENT:]LEVEL like eal:debug", opt_log_level},
    {"--iova-mode", true, "pa or va", opt_iova},
};

/* The option arg names, and where its attached value starts (NULL: none). */
static const struct option_def *find_option(const char *arg, const char **attached)
{
	size_t name_len;

	*attached = NULL;
	if (arg[1] == '-') {
		const char *eq = strchr(arg, '=');

		name_len = eq ? (size_t)(eq - arg) : strlen(arg);
		if (eq)
			*attached = eq + 1;
	} else {
		name_len = 2; /* "-l", value may follow at once: "-l0-3" */
		if (arg[2] != '\0')
			*attached = arg + 2;
	}
	for (size_t i = 0; i < TERN_DIM(options); i++)
		if (strlen(options[i].name) == name_len &&
		    strncmp(options[i].name, arg, name_len) == 0)
			return &options[i];
	return NULL;
}

/*
 * Fill *work from argv; the caller copies it out only on success, so that a
 * bad option leaves the caller's config untouched.
 */
static int parse_into(struct tern_eal_config *work, int argc, char *const argv[])
{
	int i;

	for (i = 1; i < argc && argv[i] != NULL; i++) {
		const char *arg = argv[i], *val;
		const struct option_def *o;

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		/* "-" alone and anything without a dash belong to the application. */
		if (arg[0] != '-' || arg[1] == '\0')
			break;
		o = find_option(arg, &val);
		if (o == NULL) {
			const char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
			int len = eq ? (int)(eq - arg) : (int)strlen(arg);

			return tern_error(EINVAL, EAL_LOG,
			                  "unknown option '%.*s': see doc/options.md for the EAL "
			                  "options",
			                  len, arg);
		}
		if (!o->has_arg && val) {
			return tern_error(EINVAL, EAL_LOG, "%s takes no value, got '%s'", o->name,
			                  val);
		}
		if (o->has_arg && val == NULL) {
			if (i + 1 >= argc || argv[i + 1] == NULL) {
				return tern_error(EINVAL, EAL_LOG, "%s needs %s", o->name,
				                  o->needs);
			}
			val = argv[++i];
		}
		if (o->apply(work, o->name, val ? val : ""))
			return -EINVAL;
	}
	return i - 1;
}

int tern_eal_parse_args(struct tern_eal_config *cfg, int argc, char *const argv[])
{
	struct tern_eal_config *work;
	int ret;

	if (cfg == NULL || argc < 0 || (argc > 0 && argv == NULL)) {
		return tern_error(EINVAL, EAL_LOG,
		                  "tern_eal_parse_args: needs a config and argc/argv");
	}
	/*
	 * The working copy (about 30 KiB) lives on the heap: on the stack it
	 * would overflow the small stacks of some hosts' threads, and as
	 * thread-local storage it made libtern.so impossible to dlopen (static
	 * TLS is a few hundred bytes for every library loaded at run time).
	 */
	work = malloc(sizeof(*work));
	if (work == NULL) {
		return tern_error(ENOMEM, EAL_LOG,
		                  "tern_eal_parse_args: out of memory for a %zu-byte config",
		                  sizeof(*work));
	}
	*work = *cfg;
	ret = parse_into(work, argc, argv);
	if (ret >= 0)
		*cfg = *work;
	free(work);
	return ret;
}

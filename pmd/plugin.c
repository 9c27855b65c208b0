/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * plugin.c - out-of-tree drivers loaded with -d FILE|DIR.
 *
 * A plugin is a shared object that exports one symbol, tern_plugin_driver,
 * pointing at its struct tern_driver (TERN_PLUGIN_DRIVER() in tern_driver.h).
 * It is opened RTLD_NOW, so that a missing symbol is an error at init and not
 * a crash in the middle of traffic, and RTLD_LOCAL, so that two plugins'
 * private symbols never mix. Its references to tern_* resolve to the libtern
 * the application already has loaded (the plugin is linked with -ltern, the
 * same soname). A directory loads every "*.so" in it, sorted by name, so the
 * order is the same on every run.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "port_internal.h"

#define PLUGIN_MAX 64

struct plugin {
	void *handle;
	const struct tern_driver *drv;
	char path[TERN_EAL_PATH_LEN];
};

static struct plugin plugins[PLUGIN_MAX];
static unsigned nb_plugins;

const struct tern_driver *tern_driver_at(unsigned i)
{
	if (i < tern_builtin_driver_count)
		return tern_builtin_drivers[i];
	i -= tern_builtin_driver_count;
	return i < nb_plugins ? plugins[i].drv : NULL;
}

/* Whether a driver of that name is already known (built in or loaded). */
static const char *name_taken(const char *name)
{
	for (unsigned i = 0; i < tern_builtin_driver_count; i++)
		if (strcmp(tern_builtin_drivers[i]->name, name) == 0)
			return "a built-in driver";
	for (unsigned i = 0; i < nb_plugins; i++)
		if (strcmp(plugins[i].drv->name, name) == 0)
			return plugins[i].path;
	return NULL;
}

/* dl_iterate_phdr() reports the main program first: does it hold the address in *arg? */
static int main_program_holds(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t a = *(const uintptr_t *)arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && a >= lo && a - lo < ph->p_memsz)
			return 1;
	}
	return 2; /* stop after the first object either way */
}

/*
 * A plugin's references to tern_* must reach this copy of tern. With
 * libtern.so they do (the plugin needs the same soname, already loaded). With
 * libtern.a linked into the program they reach it only if the program exports
 * its symbols (-rdynamic); otherwise the plugin would quietly load a second,
 * uninitialized libtern.so and run its driver against that.
 */
static int check_tern_reachable(const char *path)
{
	/* Compared as integers: a function address is never cast back to a pointer. */
	uintptr_t self = (uintptr_t)&tern_eal_init;

	if (dl_iterate_phdr(main_program_holds, &self) != 1)
		return 0; /* tern is a shared object */
	if ((uintptr_t)dlsym(RTLD_DEFAULT, "tern_eal_init") == self)
		return 0; /* linked in, and exported */
	return tern_error(ENOEXEC, PLUGIN_LOG,
	                  "cannot load %s: this program has libtern linked in statically and "
	                  "does not export its symbols to plugins: link it with -rdynamic "
	                  "(-Wl,--export-dynamic), or with libtern.so",
	                  path);
}

static int load_one(const char *path)
{
	const struct tern_driver *const *sym;
	const struct tern_driver *drv;
	const char *taken;
	void *h;

	if (nb_plugins == PLUGIN_MAX) {
		return tern_error(ENOSPC, PLUGIN_LOG, "%s: too many plugins (at most %d)", path,
		                  PLUGIN_MAX);
	}
	if (check_tern_reachable(path) < 0)
		return -ENOEXEC;
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		return tern_error(ENOEXEC, PLUGIN_LOG, "cannot load %s: %s", path, dlerror());
	}
	sym = dlsym(h, TERN_PLUGIN_SYMBOL);
	if (sym == NULL || *sym == NULL) {
		tern_error(ENOEXEC, PLUGIN_LOG,
		           "%s exports no '" TERN_PLUGIN_SYMBOL
		           "': is it a tern driver built with TERN_PLUGIN_DRIVER()?",
		           path);
		dlclose(h);
		return -ENOEXEC;
	}
	drv = *sym;
	if (drv->abi_version != TERN_DRIVER_ABI_VERSION) {
		tern_error(EPROTO, PLUGIN_LOG,
		           "%s was built for driver ABI %u, this tern has ABI %d: rebuild it "
		           "against this tern's headers",
		           path, drv->abi_version, TERN_DRIVER_ABI_VERSION);
		dlclose(h);
		return -EPROTO;
	}
	/* A vdev driver needs probe(), a PCI driver pci_probe() and its id list. */
	if (drv->name == NULL || drv->name[0] == '\0' ||
	    (drv->bus == TERN_BUS_VDEV && drv->probe == NULL) ||
	    (drv->bus == TERN_BUS_PCI && (drv->pci_probe == NULL || drv->pci_ids == NULL)) ||
	    (drv->bus != TERN_BUS_VDEV && drv->bus != TERN_BUS_PCI)) {
		tern_error(EINVAL, PLUGIN_LOG,
		           "%s: its driver descriptor is incomplete (no name, unknown bus, "
		           "or no probe function for its bus)",
		           path);
		dlclose(h);
		return -EINVAL;
	}
	taken = name_taken(drv->name);
	if (taken != NULL) {
		tern_error(EEXIST, PLUGIN_LOG, "%s: driver name '%s' is already taken by %s", path,
		           drv->name, taken);
		dlclose(h);
		return -EEXIST;
	}
	plugins[nb_plugins].handle = h;
	plugins[nb_plugins].drv = drv;
	strlcpy(plugins[nb_plugins].path, path, sizeof(plugins[nb_plugins].path));
	nb_plugins++;
	tern_log(TERN_LOG_INFO, PLUGIN_LOG, "loaded driver %s from %s", drv->name, path);
	return 0;
}

static int is_so(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return len > 3 && strcmp(d->d_name + len - 3, ".so") == 0;
}

static int load_dir(const char *dir)
{
	struct dirent **list;
	int n = scandir(dir, &list, is_so, alphasort), ret = 0;

	if (n < 0) {
		return tern_error(errno, PLUGIN_LOG, "cannot read directory %s: %s", dir,
		                  strerror(errno));
	}
	for (int i = 0; i < n; i++) {
		char path[TERN_EAL_PATH_LEN];

		if (ret == 0) {
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name) >=
			    sizeof(path)) {
				tern_error(ENAMETOOLONG, PLUGIN_LOG, "%s/%s: path too long", dir,
				           list[i]->d_name);
				ret = -ENAMETOOLONG;
			} else {
				ret = load_one(path);
			}
		}
		free(list[i]);
	}
	free(list);
	return ret;
}

int tern_plugin_load_all(const struct tern_eal_config *cfg)
{
	for (unsigned i = 0; i < cfg->nb_plugins; i++) {
		const char *path = cfg->plugins[i];
		struct stat st;
		int ret;

		if (stat(path, &st) < 0) {
			ret = -errno;
			tern_error(-ret, PLUGIN_LOG, "-d %s: %s", path, strerror(errno));
			return ret;
		}
		ret = S_ISDIR(st.st_mode) ? load_dir(path) : load_one(path);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void tern_plugin_unload_all(void)
{
	/* Last loaded first, the usual order for undoing. */
	while (nb_plugins > 0) {
		nb_plugins--;
		dlclose(plugins[nb_plugins].handle);
		plugins[nb_plugins] = (struct plugin){0};
	}
}

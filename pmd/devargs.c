/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * devargs.c - the "k=v,k=v" arguments of a device (--vdev null0,size=128).
 *
 * Items are separated by commas; an item without '=' is a key with an empty
 * value; empty items (",,") are skipped. Nothing is allocated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "port_internal.h"

/*
 * Walk to the next item of *s: its key in [*k, *k + *klen), its value in
 * [*v, *v + *vlen). Returns false at the end.
 */
static bool next_item(const char **s, const char **k, size_t *klen, const char **v, size_t *vlen)
{
	const char *p = *s, *end, *eq;

	while (*p == ',')
		p++;
	if (*p == '\0')
		return false;
	end = strchrnul(p, ',');
	eq = memchr(p, '=', (size_t)(end - p));
	*k = p;
	*klen = (size_t)((eq != NULL ? eq : end) - p);
	*v = eq != NULL ? eq + 1 : end;
	*vlen = (size_t)(end - *v);
	*s = end;
	return true;
}

int tern_devargs_get(const char *args, const char *key, char *buf, size_t len)
{
	const char *k, *v;
	size_t klen, vlen;

	if (args == NULL || key == NULL || buf == NULL)
		return -EINVAL;
	while (next_item(&args, &k, &klen, &v, &vlen)) {
		if (klen != strlen(key) || memcmp(k, key, klen) != 0)
			continue;
		if (vlen + 1 > len)
			return -E2BIG;
		memcpy(buf, v, vlen);
		buf[vlen] = '\0';
		return (int)vlen;
	}
	return -ENOENT;
}

int tern_devargs_get_u32(const char *args, const char *key, uint32_t *val)
{
	char buf[32], *end;
	unsigned long long n;
	int ret = tern_devargs_get(args, key, buf, sizeof(buf));

	if (ret == -ENOENT)
		return ret;
	if (ret <= 0 || val == NULL || buf[0] == '-')
		return -EINVAL;
	errno = 0;
	n = strtoull(buf, &end, 0);
	if (errno != 0 || *end != '\0' || n > UINT32_MAX)
		return -EINVAL;
	*val = (uint32_t)n;
	return 0;
}

int tern_devargs_check(const char *drv, const char *args, const char *const known[])
{
	const char *k, *v;
	size_t klen, vlen;

	if (args == NULL)
		return 0;
	while (next_item(&args, &k, &klen, &v, &vlen)) {
		bool found = false;
		char list[256] = "";

		for (unsigned i = 0; known != NULL && known[i] != NULL; i++) {
			if (strlen(known[i]) == klen && memcmp(known[i], k, klen) == 0)
				found = true;
			if (i > 0)
				strlcat(list, ", ", sizeof(list));
			strlcat(list, known[i], sizeof(list));
		}
		if (!found) {
			/* The caller's probe fails with this: make it the error line too. */
			return tern_error(EINVAL, drv,
			                  "unknown device argument '%.*s': %s takes %s", (int)klen,
			                  k, drv, list[0] != '\0' ? list : "none");
		}
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_devargs.c - the "k=v,k=v" device-argument helpers.
 *
 * Input: [len byte][key bytes, up to the first NUL][args bytes]. The args
 * string sits in a heap buffer of exactly its length + 1, and the output
 * buffer is `len % 40` bytes, so ASan sees any read or write past either.
 * What must hold:
 *   - tern_devargs_get returns -ENOENT, -E2BIG or the value's length, which
 *     then fits the buffer and is NUL-terminated, and the value is what a
 *     plain reference walk over the items finds for the key;
 *   - tern_devargs_get_u32 agrees with tern_devargs_get about presence;
 *   - tern_devargs_check accepts exactly the args whose every key is known.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "tern_driver.h"
#include "tern_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reference: items split on ',', empty ones skipped; key before the first '='. */
static bool ref_find(const char *args, const char *key, const char **val, size_t *vlen)
{
	size_t klen = strlen(key);

	for (const char *p = args; *p != '\0';) {
		size_t n = strcspn(p, ",");

		if (n > 0) {
			const char *eq = memchr(p, '=', n);
			size_t kl = eq ? (size_t)(eq - p) : n;

			if (kl == klen && memcmp(p, key, klen) == 0) {
				*val = eq ? eq + 1 : p + n;
				*vlen = eq ? n - kl - 1 : 0;
				return true;
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

static bool ref_all_known(const char *args, const char *const known[])
{
	for (const char *p = args; *p != '\0';) {
		size_t n = strcspn(p, ",");

		if (n > 0) {
			const char *eq = memchr(p, '=', n);
			size_t kl = eq ? (size_t)(eq - p) : n;
			bool found = false;

			for (unsigned i = 0; known[i] != NULL; i++)
				if (strlen(known[i]) == kl && memcmp(known[i], p, kl) == 0)
					found = true;
			if (!found)
				return false;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = {"size", "iface", "qpairs", "mac", "", NULL};
	const char *refval;
	size_t reflen, blen, klen;
	char *key, *args, *out;
	uint32_t u;
	int ret, ret32;
	bool present;

	if (size < 1)
		return 0;
	fuzz_quiet_log();
	blen = data[0] % 40;
	data++;
	size--;
	klen = strnlen((const char *)data, size);
	key = malloc(klen + 1);
	memcpy(key, data, klen);
	key[klen] = '\0';
	if (klen < size) {
		data += klen + 1;
		size -= klen + 1;
	} else {
		size = 0;
	}
	args = malloc(size + 1);
	memcpy(args, data, size);
	args[size] = '\0'; /* an embedded NUL just ends the string early */
	out = malloc(blen ? blen : 1);

	present = ref_find(args, key, &refval, &reflen);
	ret = tern_devargs_get(args, key, out, blen);
	if (!present) {
		if (ret != -ENOENT)
			__builtin_trap();
	} else if (reflen + 1 > blen) {
		if (ret != -E2BIG)
			__builtin_trap();
	} else {
		if (ret < 0 || (size_t)ret != reflen || out[ret] != '\0' ||
		    memcmp(out, refval, reflen) != 0)
			__builtin_trap();
	}

	ret32 = tern_devargs_get_u32(args, key, &u);
	if ((ret32 == -ENOENT) != !present)
		__builtin_trap();
	if (ret32 != 0 && ret32 != -ENOENT && ret32 != -EINVAL)
		__builtin_trap();

	ret = tern_devargs_check("fuzz", args, known);
	if ((ret == 0) != ref_all_known(args, known) || (ret != 0 && ret != -EINVAL))
		__builtin_trap();

	free(out);
	free(args);
	free(key);
	return 0;
}

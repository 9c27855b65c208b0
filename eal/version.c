/* SPDX-License-Identifier: BSD-3-Clause */
/* version.c - the library's own version, for hosts that load it at run time. */
#include "tern_version.h"

const char *tern_version(void)
{
	return TERN_VERSION;
}

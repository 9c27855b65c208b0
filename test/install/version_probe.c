/* SPDX-License-Identifier: BSD-3-Clause */
/* version_probe.c - print tern_version() of the library it runs with (exports.sh). */
#include <stdio.h>

#include <tern_version.h>

int main(void)
{
	printf("%s\n", tern_version());
	return 0;
}

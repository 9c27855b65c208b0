/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay.c - a main() for a fuzz harness built without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on each file named (or each file in each
 * directory named), so that the regression inputs under fuzz/regressions/
 * replay with any compiler. Prints how many inputs ran.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, as in libFuzzer: one-time setup before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		if (fp)
			fclose(fp);
		return -1;
	}
	buf = malloc(n ? (size_t)n : 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	/* An exact-size copy: ASan builds see reads past the end. */
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned ran = 0, bad = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			struct dirent **ents;
			int n = scandir(argv[i], &ents, NULL, alphasort);

			for (int j = 0; j < n; j++) {
				char path[4096];

				if (ents[j]->d_name[0] != '.') {
					snprintf(path, sizeof(path), "%s/%s", argv[i],
					         ents[j]->d_name);
					if (run_file(path) == 0)
						ran++;
					else
						bad++;
				}
				free(ents[j]);
			}
			if (n >= 0)
				free(ents);
		} else if (run_file(argv[i]) == 0) {
			ran++;
		} else {
			bad++;
		}
	}
	printf("replay: %u inputs ran, %u unreadable\n", ran, bad);
	return bad ? 1 : 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cores.c - the cores tern accepts are those the process may run on, not
 * those of the thread that calls init (issue 11).
 *
 * 1. A host pins its main thread to one CPU (the second this process may
 *    use) and asks for that CPU and the first, in that order: init works, the
 *    worker runs on the first CPU, and the main thread's mask is untouched.
 *    Before, init said "core 0 is not available" though the process may use it.
 * 2. In a child process put in a cgroup cpuset of that one CPU (root, cgroup
 *    cpuset controller; skipped otherwise), asking for the other CPU fails
 *    with a line that names the set the process may use.
 * A plain program: it forks, and a cpuset is process state.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tern_eal.h"
#include "tern_lcore.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__,      \
			        #cond, tern_eal_last_error());                                     \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

static int where(void *arg)
{
	*(int *)arg = sched_getcpu();
	return 0;
}

static void pinned_host(int c0, int c1)
{
	struct tern_eal_config cfg;
	cpu_set_t one, after;
	int ran_on = -1;

	CPU_ZERO(&one);
	CPU_SET(c1, &one);
	CHECK(pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0);
	tern_eal_config_init(&cfg);
	cfg.no_huge = true;
	snprintf(cfg.cores, sizeof(cfg.cores), "%d,%d", c1, c0);
	CHECK(tern_eal_init(&cfg) == 0);
	CHECK(tern_lcore_id() == (unsigned)c1);
	CHECK(tern_lcore_enabled((unsigned)c0));
	CHECK(tern_lcore_launch((unsigned)c0, where, &ran_on) == 0);
	CHECK(tern_lcore_wait((unsigned)c0) == 0);
	CHECK(ran_on == c0);
	CHECK(pthread_getaffinity_np(pthread_self(), sizeof(after), &after) == 0);
	CHECK(CPU_EQUAL(&after, &one)); /* the host's pinning is the host's */
	CHECK(tern_eal_cleanup() == 0);
	printf("cores: main thread pinned to CPU %d, cores \"%d,%d\": worker ran on CPU %d\n", c1,
	       c1, c0, ran_on);
}

/* A cpuset cgroup of CPU `cpu` under the v1 or v2 hierarchy; its path in dir, or -1. */
static int make_cpuset(int cpu, char *dir, size_t len)
{
	const char *roots[] = {"/sys/fs/cgroup/cpuset", "/sys/fs/cgroup"};
	char path[512], mems[64] = "";

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/cpuset.mems.effective", roots[i]);
		if (access(path, R_OK) != 0)
			snprintf(path, sizeof(path), "%s/cpuset.effective_mems", roots[i]);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(mems, sizeof(mems), f) == NULL)
			mems[0] = '\0';
		fclose(f);
		mems[strcspn(mems, "\n")] = '\0';
		snprintf(dir, len, "%s/tern-embed-cores-%d", roots[i], (int)getpid());
		if (mkdir(dir, 0755) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/cpuset.cpus", dir);
		f = fopen(path, "w");
		int ok = f && fprintf(f, "%d\n", cpu) > 0;

		if (f && fclose(f) != 0)
			ok = 0;
		snprintf(path, sizeof(path), "%s/cpuset.mems", dir);
		f = fopen(path, "w");
		ok = ok && f && fprintf(f, "%s\n", mems) > 0;
		if (f && fclose(f) != 0)
			ok = 0;
		if (ok)
			return 0;
		rmdir(dir);
	}
	return -1;
}

static int join_cgroup(const char *dir)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	ok = fprintf(f, "%d\n", (int)getpid()) > 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void cpuset_child(int c0, int c1)
{
	char dir[256], want[64];
	int status;
	pid_t pid;

	if (geteuid() != 0 || make_cpuset(c1, dir, sizeof(dir)) != 0) {
		printf("cores: no cgroup cpuset to make here: the cpuset part is skipped\n");
		return;
	}
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct tern_eal_config cfg;

		if (join_cgroup(dir) != 0)
			_exit(77);
		tern_eal_config_init(&cfg);
		cfg.no_huge = true;
		snprintf(cfg.cores, sizeof(cfg.cores), "%d", c0);
		int ret = tern_eal_init(&cfg);

		snprintf(want, sizeof(want), "may use cores %d", c1);
		printf("cores: in a cpuset of CPU %d, cores \"%d\": %s\n", c1, c0,
		       tern_eal_last_error());
		fflush(stdout);
		_exit(ret == -EINVAL && strstr(tern_eal_last_error(), want) ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(rmdir(dir) == 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		printf("cores: cannot join the cgroup cpuset: the cpuset part is skipped\n");
		return;
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	cpu_set_t set;
	int cpus[2], n = 0;

	CHECK(sched_getaffinity(0, sizeof(set), &set) == 0);
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (n < 2) {
		printf("cores: this process may use one CPU: nothing to test\n");
		return 77;
	}
	pinned_host(cpus[0], cpus[1]);
	cpuset_child(cpus[0], cpus[1]);
	printf("cores: all good\n");
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log.c - levelled logging per component through a replaceable sink.
 *
 * Logging is never on the fast path, so one mutex guards the level table and
 * the sink. The sink itself is called outside the mutex so that a slow or
 * re-entrant callback (one that logs itself) cannot deadlock tern.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>

#include "tern_log.h"
#include "eal_internal.h"

#define LOG_MAX_COMPONENTS 32
#define LOG_LINE_LEN       512

struct log_component {
	char name[TERN_LOG_COMPONENT_LEN];
	enum tern_log_level level;
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum tern_log_level log_default = TERN_LOG_NOTICE;
static struct log_component log_components[LOG_MAX_COMPONENTS];
static unsigned log_nb_components;
static tern_log_fn log_fn; /* NULL: the default stderr sink */
static void *log_arg;

static void log_default_sink(enum tern_log_level level, const char *component, const char *msg)
{
	(void)level;
	/* One fprintf per line: stdio locks the stream, so lines never interleave. */
	fprintf(stderr, "tern: %s: %s\n", component, msg);
}

static struct log_component *log_find(const char *component)
{
	for (unsigned i = 0; i < log_nb_components; i++)
		if (strcmp(log_components[i].name, component) == 0)
			return &log_components[i];
	return NULL;
}

void tern_log_set_callback(tern_log_fn fn, void *arg)
{
	pthread_mutex_lock(&log_lock);
	log_fn = fn;
	log_arg = fn ? arg : NULL;
	pthread_mutex_unlock(&log_lock);
}

void tern_eal_log_get_callback(tern_log_fn *fn, void **arg)
{
	pthread_mutex_lock(&log_lock);
	*fn = log_fn;
	*arg = log_arg;
	pthread_mutex_unlock(&log_lock);
}

/*
 * Levels as they were before init applied the config's, so that cleanup can
 * hand the host application back its own settings.
 */
static struct {
	bool valid;
	enum tern_log_level def;
	unsigned nb;
	struct log_component comp[LOG_MAX_COMPONENTS];
} log_saved;

void tern_eal_log_save_levels(void)
{
	pthread_mutex_lock(&log_lock);
	log_saved.valid = true;
	log_saved.def = log_default;
	log_saved.nb = log_nb_components;
	memcpy(log_saved.comp, log_components, sizeof(log_components));
	pthread_mutex_unlock(&log_lock);
}

void tern_eal_log_restore_levels(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_saved.valid) {
		log_default = log_saved.def;
		log_nb_components = log_saved.nb;
		memcpy(log_components, log_saved.comp, sizeof(log_components));
	}
	log_saved.valid = false;
	pthread_mutex_unlock(&log_lock);
}

static int level_valid(int level)
{
	return level >= TERN_LOG_EMERG && level <= TERN_LOG_DEBUG;
}

int tern_log_set_level(const char *component, enum tern_log_level level)
{
	int ret = 0;

	if (!level_valid((int)level))
		return -EINVAL;
	if (component && (component[0] == '\0' || strlen(component) >= TERN_LOG_COMPONENT_LEN))
		return -EINVAL;

	pthread_mutex_lock(&log_lock);
	if (component == NULL) {
		log_default = level;
		for (unsigned i = 0; i < log_nb_components; i++)
			log_components[i].level = level;
	} else {
		struct log_component *c = log_find(component);

		if (c == NULL && log_nb_components < LOG_MAX_COMPONENTS) {
			c = &log_components[log_nb_components++];
			strlcpy(c->name, component, sizeof(c->name));
		}
		if (c)
			c->level = level;
		else
			ret = -ENOSPC;
	}
	pthread_mutex_unlock(&log_lock);
	return ret;
}

enum tern_log_level tern_log_get_level(const char *component)
{
	enum tern_log_level level;

	pthread_mutex_lock(&log_lock);
	level = log_default;
	if (component) {
		struct log_component *c = log_find(component);

		if (c)
			level = c->level;
	}
	pthread_mutex_unlock(&log_lock);
	return level;
}

int tern_log_level_parse(const char *s)
{
	static const struct {
		const char *name;
		enum tern_log_level level;
	} names[] = {
	    {"emerg", TERN_LOG_EMERG},  {"alert", TERN_LOG_ALERT},   {"crit", TERN_LOG_CRIT},
	    {"err", TERN_LOG_ERR},      {"error", TERN_LOG_ERR},     {"warning", TERN_LOG_WARNING},
	    {"warn", TERN_LOG_WARNING}, {"notice", TERN_LOG_NOTICE}, {"info", TERN_LOG_INFO},
	    {"debug", TERN_LOG_DEBUG},
	};

	if (s == NULL)
		return -EINVAL;
	/* A single digit 1-8: no signs, spaces or leading zeros to argue about. */
	if (s[0] >= '1' && s[0] <= '8' && s[1] == '\0')
		return s[0] - '0';
	for (size_t i = 0; i < TERN_DIM(names); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].level;
	return -EINVAL;
}

void tern_log_reset(void)
{
	pthread_mutex_lock(&log_lock);
	log_default = TERN_LOG_NOTICE;
	log_nb_components = 0;
	pthread_mutex_unlock(&log_lock);
}

void tern_vlog(enum tern_log_level level, const char *component, const char *fmt, va_list ap)
{
	char line[LOG_LINE_LEN];
	enum tern_log_level threshold;
	struct log_component *c;
	tern_log_fn fn;
	void *arg;
	size_t len;

	if (component == NULL)
		component = "tern";

	pthread_mutex_lock(&log_lock);
	c = log_find(component);
	threshold = c ? c->level : log_default;
	fn = log_fn;
	arg = log_arg;
	pthread_mutex_unlock(&log_lock);

	if ((int)level > (int)threshold)
		return;

	/* ap comes initialized from our caller; the analyzer cannot see that. */
	vsnprintf(line, sizeof(line), fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	/* The sink gets one line: drop a trailing newline a caller may have added. */
	len = strlen(line);
	while (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';

	if (fn)
		fn(arg, level, component, line);
	else
		log_default_sink(level, component, line);
}

void tern_log(enum tern_log_level level, const char *component, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tern_vlog(level, component, fmt, ap);
	va_end(ap);
}

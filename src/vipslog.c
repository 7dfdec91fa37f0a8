/*
 * vipslog: catching libvips' log (see vipslog.h).
 */
#include "vipslog.h"

#include <string.h> /* strstr */

#include "result.h" /* RESULT_WARNINGS_MAX */

static void
catch(const gchar *domain, GLogLevelFlags level, const gchar *message,
    gpointer data)
{
	struct vipslog *log = data;
	GString *t = log->text;

	(void)domain;
	if (level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
		return;
	if (log->lock != NULL)
		g_mutex_lock(log->lock);
	if (t->len < RESULT_WARNINGS_MAX && strstr(t->str, message) == NULL) {
		if (t->len > 0)
			g_string_append(t, "; ");
		g_string_append(t, message);
		while (t->len > 0 && g_ascii_isspace(t->str[t->len - 1]))
			g_string_truncate(t, t->len - 1);
	}
	if (log->lock != NULL)
		g_mutex_unlock(log->lock);
}

void
vipslog_start(struct vipslog *log, GMutex *lock)
{
	const GLogLevelFlags all = G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
	    G_LOG_FLAG_RECURSION;

	log->text = g_string_new(NULL);
	log->lock = lock;
	log->handler = g_log_set_handler("VIPS", all, catch, log);
	g_log_set_default_handler(catch, log);
}

void
vipslog_stop(struct vipslog *log)
{
	g_log_remove_handler("VIPS", log->handler);
	g_log_set_default_handler(g_log_default_handler, NULL);
	g_string_free(log->text, TRUE);
	log->text = NULL;
}

/*
 * output: naming, freshness and the temporary-file-and-rename save (see
 * output.h).
 */
#include "output.h"

#include <errno.h>  /* errno, EEXIST */
#include <fcntl.h>  /* open, O_* */
#include <stdio.h>  /* rename */
#include <string.h> /* strrchr, strlen */
#include <unistd.h> /* unlink */

#include <glib.h> /* g_build_filename, g_path_get_dirname, g_mkdir_with_parents */
#include <vips/vips.h> /* vips_foreign_find_save_target, vips_error_clear */

bool
output_can_save(const char *suffix)
{
	const char *saver;

	if (*suffix == '\0')
		return false;
	/* The HEIF saver writes AVIF, but its target class lists only
	   .heic/.heif; the pipeline asks it for AV1 by name. */
	if (g_ascii_strcasecmp(suffix, ".avif") == 0)
		suffix = ".heif";
	saver = vips_foreign_find_save_target(suffix);
	if (saver == NULL)
		vips_error_clear();
	return saver != NULL;
}

const char *
output_suffix(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	return dot && dot != base ? dot : path + strlen(path);
}

GHashTable *
output_memo_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

static bool
can_save_memo(const char *suffix, GHashTable *memo)
{
	gpointer answer;
	bool ok;

	if (memo == NULL)
		return output_can_save(suffix);
	if (g_hash_table_lookup_extended(memo, suffix, NULL, &answer))
		return GPOINTER_TO_INT(answer);
	ok = output_can_save(suffix);
	g_hash_table_insert(memo, g_strdup(suffix), GINT_TO_POINTER(ok));
	return ok;
}

char *
output_apply_template(const char *tmpl, const char *rel)
{
	char *dir = g_path_get_dirname(rel);
	char *base = g_path_get_basename(rel);
	const char *dot = output_suffix(base);
	GString *name = g_string_new(NULL);
	char **parts;
	GString *clean = g_string_new(NULL);

	for (const char *p = tmpl; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			g_string_append_c(name, *p);
			continue;
		}
		switch (*++p) {
		case 's':
			g_string_append_len(name, base, dot - base);
			break;
		case 'e':
			g_string_append(name, *dot ? dot + 1 : "");
			break;
		case 'd':
			if (strcmp(dir, ".") != 0)
				g_string_append(name, dir);
			break;
		default:
			g_string_append_c(name, *p);
			break;
		}
	}
	/* "%d/%s.jpg" at the top is "/a.jpg": keep only real components. */
	parts = g_strsplit(name->str, "/", -1);
	for (char **c = parts; *c != NULL; c++) {
		/* ".." too: a stem can be ".." ("...jpg"). */
		if (**c == '\0' || strcmp(*c, ".") == 0 ||
		    strcmp(*c, "..") == 0)
			continue;
		if (clean->len > 0)
			g_string_append_c(clean, '/');
		g_string_append(clean, *c);
	}
	g_strfreev(parts);
	g_string_free(name, TRUE);
	g_free(dir);
	g_free(base);
	return g_string_free(clean, FALSE);
}

char *
output_path(const char *outdir, const char *rel, const char *tmpl,
    const char *format, GHashTable *memo)
{
	char *renamed = tmpl != NULL ? output_apply_template(tmpl, rel) : NULL;
	const char *suffix;
	char *name, *path;

	if (renamed != NULL)
		rel = renamed;
	suffix = output_suffix(rel);

	if (format != NULL)
		name = g_strdup_printf("%.*s.%s", (int)(suffix - rel), rel,
		    format);
	else if (!can_save_memo(suffix, memo))
		name = g_strconcat(rel, ".png", NULL);
	else
		name = g_strdup(rel);
	path = g_build_filename(outdir, name, NULL);
	g_free(name);
	g_free(renamed);
	return path;
}

char *
output_for_box(const char *out0, const char *outdir, const char *label0,
    const char *label)
{
	char *dir0 = g_build_filename(outdir, label0, NULL);
	size_t n = strlen(dir0);
	char *out = NULL;

	if (strncmp(out0, dir0, n) == 0 && out0[n] == '/')
		out = g_build_filename(outdir, label, out0 + n + 1, NULL);
	g_free(dir0);
	return out;
}

char *
output_tmp_path(const char *final, pid_t pid)
{
	char *dir = g_path_get_dirname(final);
	char *base = g_path_get_basename(final);
	char *name = g_strdup_printf(".%s.pthumb-%ld.tmp", base, (long)pid);
	char *tmp = g_build_filename(dir, name, NULL);

	g_free(dir);
	g_free(base);
	g_free(name);
	return tmp;
}

int
output_mkdirs(const char *final)
{
	char *dir = g_path_get_dirname(final);
	int rc = g_mkdir_with_parents(dir, 0777);
	int err = errno;

	g_free(dir);
	errno = err;
	return rc == 0 ? 0 : -1;
}

enum output_state
output_check(const char *final, const struct stat *src)
{
	struct stat st;

	if (stat(final, &st) != 0)
		return OUTPUT_ABSENT;
	if (st.st_dev == src->st_dev && st.st_ino == src->st_ino)
		return OUTPUT_IS_INPUT;
	if (st.st_mtim.tv_sec != src->st_mtim.tv_sec)
		return st.st_mtim.tv_sec > src->st_mtim.tv_sec ? OUTPUT_FRESH
		    : OUTPUT_STALE;
	return st.st_mtim.tv_nsec > src->st_mtim.tv_nsec ? OUTPUT_FRESH
	    : OUTPUT_STALE;
}

int
output_create_tmp(const char *tmp)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
	int fd;

	/* 0666: the umask decides, as for any file the user creates. */
	fd = open(tmp, flags, 0666);
	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, flags, 0666);
	return fd;
}

int
output_commit(const char *tmp, const char *final)
{
	return rename(tmp, final);
}

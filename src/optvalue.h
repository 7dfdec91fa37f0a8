/*
 * optvalue: an option's value, from the text given to what pthumb uses:
 * numbers, boxes, byte counts, colours, lists, names from a fixed set.
 *
 * The parsers know nothing of argv or of which option a value belongs to:
 * each returns 0 with the value set, or -1 leaving it alone, and says
 * nothing; options.c words the message, naming the option. shard.c reads
 * its numbers with them too.
 */
#ifndef PTHUMB_OPTVALUE_H
#define PTHUMB_OPTVALUE_H

#include <stddef.h> /* size_t */

struct thumb_opts;

/* The largest box side, and the most workers. */
#define MAX_BOX 100000
#define MAX_JOBS 1024

/* Parse a decimal number in [lo, hi] (no locale, no trailing junk). */
int options_parse_double(const char *s, double lo, double hi, double *out);
int options_parse_int(const char *s, int lo, int hi, int *out);

/*
 * Parse a box "WxH" or "N" (N x N); 1 <= W, H <= MAX_BOX.
 * Returns 0 and sets *w, *h, or -1 leaving them alone.
 */
int options_parse_size(const char *s, int *w, int *h);

/* A list of boxes "64,256,320x200" (at most MAX_SIZES, no repeats) into
   t->boxes and t->nboxes, the first also t->width and t->height. 0, or -1
   leaving them alone. */
int options_parse_sizes(const char *s, struct thumb_opts *t);

/* A byte count: a number with an optional K, M, G or T (powers of 1024). */
int options_parse_bytes(const char *s, long long *out);

/*
 * A list of worker counts "1,2,4" into out (at most max-1 entries, then a
 * 0). Returns 0, or -1 on a bad or empty list (out[0] is then 0).
 */
int options_parse_jobs_list(const char *s, int *out, int max);

/* A colour: white, black, #rrggbb, #rgb or R,G,B (0-255). 0 or -1. */
int options_parse_colour(const char *s, double rgb[3]);

/*
 * s as one of choices[0..n-1]: its index, or -1. NULL entries match
 * nothing, so an enum's names can be indexed by its values and leave out
 * those no word chooses.
 */
int options_parse_choice(const char *s, const char *const *choices,
    size_t n);

/* Is this a usable --format: a file suffix, not empty, without a dot or a
   '/'? 0 or -1. */
int options_check_format(const char *s);

/*
 * Is this a usable --output-template: relative, no ".." component, with
 * %s, and only the escapes %s %e %d %%? 0, or -1 with a reason in *why.
 */
int options_check_template(const char *t, const char **why);

#endif

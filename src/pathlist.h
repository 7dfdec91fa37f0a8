/*
 * pathlist: read a list of paths (--files-from, or "-" for standard input)
 * one record at a time, without ever blocking.
 *
 * The parent must answer Ctrl-C while a list writer is slow, so it never
 * sits in read(): pathlist_next() reads only what poll() says is there
 * and otherwise answers PATHLIST_WAIT; the caller sleeps on
 * pathlist_fd() with its worker sockets and signals (ppoll) and asks
 * again. An inherited standard input is never made non-blocking (the
 * shell shares it). A list that never ends (/dev/zero) still hands back
 * control after each read.
 *
 * Records end at '\n' (or '\0' with -0); empty records are skipped. A
 * record longer than any path can be, or a '\n'-separated record holding
 * a NUL byte, is reported and skipped; the list goes on.
 */
#ifndef PTHUMB_PATHLIST_H
#define PTHUMB_PATHLIST_H

#include <stdbool.h>

enum pathlist_got {
	PATHLIST_PATH, /* *path is the next record */
	PATHLIST_END,  /* no more records */
	PATHLIST_WAIT, /* nothing yet: wait until pathlist_fd() is
			  readable, then ask again */
	PATHLIST_BAD,  /* a record or a read failed: *why, and *err (an
			  errno, or 0); the list goes on (or ends, after a
			  read error) */
};

struct pathlist;

/* Open "-" (standard input, borrowed) or a file. NULL with errno set. */
struct pathlist *pathlist_open(const char *name, bool null_sep);

/* The next record; *path is borrowed until the next call. */
enum pathlist_got pathlist_next(struct pathlist *l, const char **path,
    const char **why, int *err);

/* The descriptor to wait on after PATHLIST_WAIT. */
int pathlist_fd(const struct pathlist *l);

/* Close the list (standard input stays open). NULL is fine. */
void pathlist_close(struct pathlist *l);

#endif

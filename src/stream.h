/*
 * stream: -o - and --stdin-image. One image, from a file or from standard
 * input, thumbnailed to standard output for a pipeline:
 *
 *     curl -s URL | pthumb --stdin-image -o - -f webp > t.webp
 *
 * libvips runs in this process, which forks nothing (as in the sequential
 * run). The thumbnail is made in memory and written out only once
 * complete, so a failure leaves standard output empty.
 */
#ifndef PTHUMB_STREAM_H
#define PTHUMB_STREAM_H

#include <stddef.h>

#include "options.h"

/* Returns the exit status: 0, 1 if the image failed, 2 if it could not be
   read or standard output is a terminal. */
int stream_run(const struct opts *o);

/*
 * The suffix (".jpg") to save in when none is asked for: the input's, from
 * its name or (name NULL) from what libvips says its bytes are; ".png"
 * when libvips cannot write that format.
 */
const char *stream_suffix(const char *name, const void *data, size_t len);

#endif

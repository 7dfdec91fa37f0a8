/*
 * stream: -o - and --stdin-image. One image, from a file or from standard
 * input, thumbnailed to standard output for a pipeline:
 *
 *     curl -s URL | pthumb --stdin-image -o - -f webp > t.webp
 *
 * The image is made in a worker process with every limit of a batch
 * worker (--timeout, --worker-memory, the CPU backstop): pthumb reads
 * standard input itself (up to STREAM_IN_MAX), forks the worker, which
 * inherits those bytes, and takes back the encoded thumbnail over a pipe
 * (up to STREAM_OUT_MAX) and its outcome over a socket. Standard output
 * gets the thumbnail once, complete, only when the worker says it is
 * good: a failure, a timeout or a killed worker leave it empty.
 */
#ifndef PTHUMB_STREAM_H
#define PTHUMB_STREAM_H

#include <stddef.h>

#include "options.h"

/* The most bytes of an image read from standard input. */
#define STREAM_IN_MAX (1LL << 30)
/* The most bytes of a thumbnail coming back from the worker. */
#define STREAM_OUT_MAX (256LL << 20)

/* Returns the exit status (outcome.h): EXIT_ALL_DONE, EXIT_SOME_FAILED if
   the image failed (or its worker), EXIT_USAGE if it could not be read or
   standard output is a terminal or failed, EXIT_SIGNAL_BASE + N after
   signal N. */
int stream_run(const struct opts *o);

/*
 * The suffix (".jpg") to save in when none is asked for: the input's, from
 * its name or (name NULL) from what libvips says its bytes are; ".png"
 * when libvips cannot write that format.
 */
const char *stream_suffix(const char *name, const void *data, size_t len);

#endif

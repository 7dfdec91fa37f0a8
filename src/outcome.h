/*
 * outcome: how things end, and the numbers they end with. A batch ends in
 * an enum batch_outcome (whichever mode ran it); pthumb exits with an enum
 * exit_status, which main derives from it; a worker process leaves its
 * parent an enum worker_exit.
 *
 * The exit statuses are part of the interface: the manual lists pthumb's,
 * and scripts and the tests read both kinds. Their values never change.
 */
#ifndef PTHUMB_OUTCOME_H
#define PTHUMB_OUTCOME_H

/* How a batch ended: batch_run(), pool_run(), threads_run(). */
enum batch_outcome {
	BATCH_DONE,         /* every job was handed out and settled */
	BATCH_INTERRUPTED,  /* a signal stopped the run (signals_caught()) */
	BATCH_CANNOT_START, /* no worker could be started, or none restarted
			       while files were left */
	BATCH_BROKEN,       /* workers keep dying before they are ready */
};

/* pthumb's exit status (the manual's EXIT STATUS). */
enum exit_status {
	EXIT_ALL_DONE = 0,       /* every file done or up to date */
	EXIT_SOME_FAILED = 1,    /* some file failed; the others are done */
	EXIT_USAGE = 2,          /* a usage error, a run that could not
				    start, or standard output that could not
				    take what was written */
	EXIT_WORKERS_BROKEN = 3, /* workers keep dying before they are
				    ready (BATCH_BROKEN) */
	EXIT_SIGNAL_BASE = 128,  /* + N: stopped by signal N, as a shell
				    reports a command it killed */
};

/*
 * A worker process's exit status, as its parent reads it from waitpid().
 * A file's outcome travels in the worker's RESULT message, never in this;
 * the parent only names the number when the message did not come ("worker
 * exited with status 4", pool_exit_text()).
 */
enum worker_exit {
	WORKER_EXIT_DONE = 0,         /* left as told: no more work, or the
					 result of its one job was sent */
	WORKER_EXIT_FAILED = 1,       /* could not set itself up (its parent
					 gone, its descriptors), not do
					 what it was forked for, or not send
					 the result back */
	WORKER_EXIT_NO_STATE = 3,     /* worker_init() gave no state: the
					 pipeline would not start */
	WORKER_EXIT_BAD_MESSAGE = 4,  /* its parent sent what is not a job */
	/* -o -'s worker could not ask to die with its parent or put
	   /dev/null in place of standard input and output. The same number
	   as BAD_MESSAGE: both were 4 before they had names. */
	WORKER_EXIT_STREAM_SETUP = 4,
	WORKER_EXIT_FAULT_START = 5,  /* test build: PTHUMB_FAULT=start */
	WORKER_EXIT_FAULT = 7,        /* test build: PTHUMB_FAULT=exit:N */
};

#endif

/*
 * outcome: how things end. A batch ends in an enum batch_outcome,
 * whichever mode ran it.
 */
#ifndef PTHUMB_OUTCOME_H
#define PTHUMB_OUTCOME_H

/* How a batch ended: run_batch(), pool_run(), threads_run(). */
enum batch_outcome {
	BATCH_DONE,         /* every job was handed out and settled */
	BATCH_INTERRUPTED,  /* a signal stopped the run (signals_caught()) */
	BATCH_CANNOT_START, /* no worker could be started, or none restarted
			       while files were left */
	BATCH_BROKEN,       /* workers keep dying before they are ready */
};

#endif

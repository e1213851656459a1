/** How long the parts of a ticket Repro writes may be: every composer reads them here. */

/**
 * A title built from a recording (action, failure, endpoint, place) is cut to this mid-word,
 * the error message giving way so the place stays whole.
 */
export const TITLE_MAX = 90;

/**
 * A title made of prose (the reporter's first line or sentence, a Sentry issue's title, a fact)
 * is cut at a word boundary to at most this, dropping the place rather than cutting it.
 */
// A different cut from TITLE_MAX's, with the 80 prose titles always had (tests pin both values).
export const TITLE_PROSE_MAX = 80;

/** Sentences in a ticket's summary. */
export const SUMMARY_SENTENCES_MAX = 4;

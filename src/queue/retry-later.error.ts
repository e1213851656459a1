/**
 * Thrown by a stage that cannot go on yet for a reason that is nobody's fault and no reason to
 * give up: a vendor's rate limit, a destination waiting for new credentials. The job is put
 * back for `delayMs` without using one of its attempts.
 */
export class RetryLaterError extends Error {
  constructor(
    readonly delayMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

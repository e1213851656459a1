// Values are Redis keys and stored job names: renaming one strands jobs already queued.
export const OUTBOUND_QUEUE = 'email-outbound';

export const OutboundJobName = { SendQuestionEmail: 'SendQuestionEmail' } as const;

/** Ids only: the handler reloads the outbox row and skips one already sent. */
export interface OutboundJobData {
  outboxId: string;
}

/** One job per outbox mail: queueing it again is a no-op while it is pending. */
export function sendJobId(outboxId: string): string {
  return `${OutboundJobName.SendQuestionEmail}-${outboxId}`;
}

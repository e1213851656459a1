/**
 * The report lifecycle. Every change of status goes through `assertTransition`, and every
 * change is written to the pipeline audit log in the same transaction.
 */
export const REPORT_STATUSES = [
  'received',
  'analyzing',
  'clarifying',
  'deduping',
  'filing',
  'filed',
  'duplicate',
  'needs_human',
  'failed',
  // A person decided the report needs no ticket (with a reason, in the audit log).
  'rejected',
  // After filing, from the tracker: the ticket was done, or closed without a fix.
  'resolved',
  'closed',
] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** No stage of the pipeline moves a report on from these (the tracker still may). */
export const FINAL_STATUSES: readonly ReportStatus[] = [
  'filed',
  'duplicate',
  'failed',
  'rejected',
  'resolved',
  'closed',
];

/** Statuses a worker is expected to move on; `needs_human` waits for a person instead. */
export const ACTIVE_STATUSES: readonly ReportStatus[] = [
  'received',
  'analyzing',
  'clarifying',
  'deduping',
  'filing',
];

const TRANSITIONS: Record<ReportStatus, readonly ReportStatus[]> = {
  received: ['analyzing', 'failed'],
  analyzing: ['clarifying', 'needs_human', 'failed'],
  clarifying: ['deduping', 'needs_human', 'failed'],
  deduping: ['filing', 'duplicate', 'needs_human', 'failed'],
  filing: ['filed', 'needs_human', 'failed'],
  needs_human: ['filing', 'duplicate', 'rejected', 'failed'],
  // The ticket's fate: done, closed, or reopened (back to how the report reached it).
  filed: ['resolved', 'closed'],
  duplicate: ['resolved', 'closed'],
  resolved: ['filed', 'duplicate', 'closed'],
  closed: ['filed', 'duplicate', 'resolved'],
  failed: [],
  rejected: [],
};

export function canTransition(from: ReportStatus, to: ReportStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: ReportStatus,
    readonly to: ReportStatus,
  ) {
    super(`A report cannot move from ${from} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function assertTransition(from: ReportStatus, to: ReportStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

export function isFinal(status: ReportStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

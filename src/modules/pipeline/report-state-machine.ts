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
] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export const FINAL_STATUSES: readonly ReportStatus[] = ['filed', 'duplicate', 'failed'];

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
  needs_human: ['filing', 'duplicate', 'failed'],
  filed: [],
  duplicate: [],
  failed: [],
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

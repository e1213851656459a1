/**
 * A ticket's priority: its severity, raised a step for each thing that makes the bug cost more
 * (a paying or large account, many reports, a Sentry issue many users hit), with the reasons in
 * words a person reads. Pure: the filing path and the duplicate path gather the facts.
 */
import { SEVERITIES, type Severity } from '../../../../common/severity';

/** Priorities are named as severities are: urgent, high, medium, low. */
export type PriorityLevel = Severity;

export interface Priority {
  level: PriorityLevel;
  /** Short sentences, the severity first, then what raised or held it. */
  reasons: string[];
}

export interface PriorityAccount {
  tier: string | null;
  /** Annual revenue in whole currency units. */
  revenue: number | null;
}

export interface PriorityInput {
  /** The triage agent's (or a person's) severity; null when nobody assessed it. */
  severity: Severity | null;
  /** What the severity rests on, when the engine said (`words: crash`): shown after it. */
  severityWhy?: string | null;
  /** The strongest account behind the ticket (see strongerAccount); null without one. */
  account: PriorityAccount | null;
  /** Reports linked to the ticket, this one included (1 for a new ticket). */
  reports: number;
  /** Distinct accounts (or reporters, for reports without one) behind them. */
  accounts: number;
  sentry: { usersAffected: number | null; events: number | null } | null;
}

/** Annual revenue from which an account counts as large, whatever its tier is called. */
export const HIGH_REVENUE = 100_000;
/** Distinct accounts, or reports in all, from which a bug counts as widespread: one step. */
export const MANY_ACCOUNTS = 3;
export const MANY_REPORTS = 5;
/** ...and from which it counts as a flood: two steps. */
export const FLOOD_ACCOUNTS = 10;
export const FLOOD_REPORTS = 20;
/** Sentry users or events from which the issue counts as widespread (severity already reads
 * Sentry's counts at lower thresholds: these are for the bugs well beyond them). */
export const SENTRY_MANY_USERS = 25;
export const SENTRY_MANY_EVENTS = 250;
/** Without a severity, a bug starts here. */
export const UNASSESSED_SEVERITY: Severity = 'medium';

/** Tier names of paying or large plans: one step up. Matched as words, case-insensitively. */
const HIGH_TIERS =
  /\b(enterprise|business|corporate|premium|pro|professional|paid|platinum|gold|scale|growth|team|vip|strategic)\b/i;
/** Tier names of free or entry plans: no step, whatever else the name holds. */
const LOW_TIERS = /\b(free|trial|starter|basic|hobby|personal|community|freemium|lite)\b/i;

/** 0 for urgent … 3 for low. */
export function priorityRank(level: PriorityLevel): number {
  return SEVERITIES.indexOf(level);
}

/** Whether `a` is more pressing than `b` (null counts as below low). */
export function isHigherPriority(a: PriorityLevel, b: PriorityLevel | null | undefined): boolean {
  return !b || priorityRank(a) < priorityRank(b);
}

/** The more severe of two severities; either may be missing. */
export function higherSeverity(
  a: Severity | null | undefined,
  b: Severity | null | undefined,
): Severity | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return priorityRank(a) <= priorityRank(b) ? a : b;
}

/** Whether the tier names a paying or large plan (free, trial and starter never do). */
export function isHighTier(tier: string | null | undefined): boolean {
  const name = tier?.trim() ?? '';
  return !!name && !LOW_TIERS.test(name) && HIGH_TIERS.test(name);
}

function accountWeight(account: PriorityAccount): number {
  return (isHighTier(account.tier) ? 1 : 0) + ((account.revenue ?? 0) >= HIGH_REVENUE ? 1 : 0);
}

/** Of two accounts, the one that weighs more for priority (a high tier or revenue), then the
 * larger revenue; either may be missing. */
export function strongerAccount(
  a: PriorityAccount | null | undefined,
  b: PriorityAccount | null | undefined,
): PriorityAccount | null {
  if (!a) return b ?? null;
  if (!b) return a;
  const byWeight = accountWeight(b) - accountWeight(a);
  if (byWeight !== 0) return byWeight > 0 ? b : a;
  return (b.revenue ?? 0) > (a.revenue ?? 0) ? b : a;
}

/** The larger Sentry counts of two attachments; either may be missing. */
export function largerSentry(
  a: PriorityInput['sentry'] | undefined,
  b: PriorityInput['sentry'] | undefined,
): PriorityInput['sentry'] {
  if (!a) return b ?? null;
  if (!b) return a;
  const max = (x: number | null, y: number | null) =>
    x === null ? y : y === null ? x : Math.max(x, y);
  return { usersAffected: max(a.usersAffected, b.usersAffected), events: max(a.events, b.events) };
}

const number = (n: number) => Math.round(n).toLocaleString('en-US');
const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Why the account raises the priority, or null when it does not. */
function accountReason(account: PriorityAccount | null): string | null {
  if (!account) return null;
  const tier = account.tier?.trim() || null;
  const revenue = account.revenue !== null && Number.isFinite(account.revenue);
  const large = revenue && account.revenue! >= HIGH_REVENUE;
  if (!isHighTier(tier) && !large) return null;
  const revenueText = revenue ? `revenue ${number(account.revenue!)}` : null;
  if (isHighTier(tier)) {
    return `${capitalised(tier!)} account${revenueText ? ` (${revenueText})` : ''}`;
  }
  return `Large account (${revenueText}${tier ? `, tier ${tier}` : ''})`;
}

/** How many steps the reports and accounts behind the ticket raise it (0, 1 or 2). */
function spreadSteps(reports: number, accounts: number): number {
  if (accounts >= FLOOD_ACCOUNTS || reports >= FLOOD_REPORTS) return 2;
  if (accounts >= MANY_ACCOUNTS || reports >= MANY_REPORTS) return 1;
  return 0;
}

function sentryIsWide(sentry: PriorityInput['sentry']): boolean {
  return (
    (sentry?.usersAffected ?? 0) >= SENTRY_MANY_USERS || (sentry?.events ?? 0) >= SENTRY_MANY_EVENTS
  );
}

/**
 * The priority of a ticket. The severity is the base; a paying or large account raises it one
 * step, many reports or accounts one step (a flood of them two), a Sentry issue with many users
 * or events one step; never above urgent. A low (cosmetic) bug stays at most medium unless many
 * reported it.
 */
export function decidePriority(input: PriorityInput): Priority {
  const severity = input.severity ?? UNASSESSED_SEVERITY;
  const reasons = [
    input.severity
      ? `Severity ${severity}${input.severityWhy ? ` (${input.severityWhy})` : ''}`
      : `Severity not assessed (${UNASSESSED_SEVERITY} assumed)`,
  ];
  let steps = 0;
  const account = accountReason(input.account);
  if (account) {
    steps += 1;
    reasons.push(account);
  }
  const reports = Math.max(1, input.reports);
  const accounts = Math.max(1, input.accounts);
  const spread = spreadSteps(reports, accounts);
  if (spread > 0) {
    steps += spread;
    reasons.push(
      `${plural(reports, 'report', 'reports')} from ${plural(accounts, 'account', 'accounts')}`,
    );
  }
  if (sentryIsWide(input.sentry)) {
    steps += 1;
    const counts = [
      input.sentry?.events != null && plural(input.sentry.events, 'event', 'events'),
      input.sentry?.usersAffected != null && plural(input.sentry.usersAffected, 'user', 'users'),
    ].filter(Boolean);
    reasons.push(`Sentry: ${counts.join(', ')}`);
  }
  let rank = Math.max(0, priorityRank(severity) - steps);
  const mediumRank = priorityRank('medium');
  if (severity === 'low' && spread === 0 && rank < mediumRank) {
    rank = mediumRank;
    reasons.push('A low-severity bug stays at most medium until more customers report it');
  }
  return { level: SEVERITIES[rank], reasons };
}

/** `high (Severity medium; Enterprise account (revenue 250,000))`: for comments and logs. */
export function describePriority(priority: Priority): string {
  return `${priority.level} (${priority.reasons.join('; ')})`;
}

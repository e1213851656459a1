import type { Severity } from '../../common/severity';
import type { Report } from '../reports/entities/report.entity';
import type { SentryAttachment } from '../sentry/sentry-attachment';
import {
  decidePriority,
  higherSeverity,
  largerSentry,
  strongerAccount,
} from '../triage/engine/ticket/priority';
import type { TicketPriority } from './entities/ticket.entity';

export type PriorityBasis = TicketPriority['basis'];

/** What one report brings to its ticket's priority: its severity, account and Sentry issue. */
export function priorityBasisOf(
  report: Report,
  severity: Severity | null | undefined,
  sentryIssue: SentryAttachment | null | undefined,
  severityWhy: string | null = null,
): PriorityBasis {
  const { account } = report;
  const revenue = account?.revenue == null ? null : Number(account.revenue);
  return {
    severity: severity ?? null,
    severityWhy: severity ? severityWhy : null,
    account: account
      ? {
          tier: account.tier,
          revenue: revenue !== null && Number.isFinite(revenue) ? revenue : null,
        }
      : null,
    sentry: sentryIssue
      ? { usersAffected: sentryIssue.usersAffected, events: sentryIssue.events }
      : null,
  };
}

/**
 * The ticket's priority from a report's basis and the ticket's counts, over what the ticket's
 * earlier priority was decided from (the most severe severity, the strongest account, the
 * largest Sentry counts seen), so a later, smaller report never makes it forget one.
 */
export function decideTicketPriority(
  basis: PriorityBasis,
  counts: { reports: number; accounts: number },
  previous: TicketPriority | null = null,
): TicketPriority {
  const severity = higherSeverity(previous?.basis.severity, basis.severity);
  // The why goes with the severity it explains: the earlier one unless the new one is higher.
  const severityWhy =
    previous && severity === previous.basis.severity
      ? (previous.basis.severityWhy ?? null)
      : (basis.severityWhy ?? null);
  const merged: PriorityBasis = previous
    ? {
        severity,
        severityWhy,
        account: strongerAccount(previous.basis.account, basis.account),
        sentry: largerSentry(previous.basis.sentry, basis.sentry),
      }
    : basis;
  return { ...decidePriority({ ...merged, ...counts }), basis: merged };
}

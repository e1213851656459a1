import { redactText } from '../../privacy/redaction';
import type { Report } from '../reports/entities/report.entity';
import type { TicketCustomer } from './tracker';

/**
 * The report's account as a tracker customer, with the reporter's words; null without one. The
 * words reach the tracker, so they are redacted as the ticket body is (emails included: a
 * customer need has no policy to keep the reporter's own).
 */
export function customerOf(report: Report): TicketCustomer | null {
  const { account } = report;
  if (!account) return null;
  const revenue = account.revenue === null ? null : Math.round(Number(account.revenue));
  return {
    externalId: account.externalId,
    name: account.name ?? account.externalId,
    domains: account.emailDomains,
    tier: account.tier,
    revenue: revenue !== null && Number.isFinite(revenue) ? revenue : null,
    words: redactText(report.description).value,
  };
}

/** Who counts as one customer on a ticket: the account, else the reporter, else the report. */
export function accountKeyOf(report: Report): string {
  if (report.accountId) return report.accountId;
  return report.reporterId ? `reporter:${report.reporterId}` : `report:${report.id}`;
}

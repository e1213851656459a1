import type { CliIo } from './io';
import { ValidationFailedError } from '../common/errors';
import { loadConfig } from '../config/config.schema';
import {
  EMAIL_QUESTIONS_TO,
  EMAIL_UNKNOWN_SENDERS,
  type EmailQuestionsTo,
  type EmailUnknownSenders,
} from '../modules/projects/entities/project.entity';
import { DEFAULT_PROJECT_SLUG } from '../modules/projects/projects.service';
import { commaList } from './options';
import { withProjects } from './with-projects';

export interface EmailOptions {
  project?: string;
  staff?: string;
  unknownSenders?: string;
  domainAccounts?: string;
  questionsTo?: string;
}

const ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/;

function refuse(field: string, message: string): never {
  throw new ValidationFailedError([{ field, message }], `${field}: ${message}`);
}

/** `a@x.com,@x.com` → the staff list (lower-cased); `none` clears it. */
function staffOption(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === 'none') return [];
  return commaList(value)!.map((entry) => {
    const e = entry.toLowerCase();
    const ok = e.startsWith('@') ? DOMAIN.test(e.slice(1)) : ADDRESS.test(e);
    if (!ok) refuse('--staff', `"${entry}" is neither an address (a@x.com) nor a domain (@x.com)`);
    return e;
  });
}

/** `customer.io=acct_42,other.com=acct_7` → the domain map; `none` clears it. */
function domainAccountsOption(value: string | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === 'none') return {};
  const map: Record<string, string> = {};
  for (const pair of commaList(value)!) {
    const [domain, account] = pair.split('=').map((part) => part?.trim());
    const d = domain?.toLowerCase().replace(/^@/, '');
    if (!d || !DOMAIN.test(d) || !account || account.length > 200) {
      refuse('--domain-accounts', `"${pair}" is not domain=account (customer.io=acct_42)`);
    }
    map[d] = account;
  }
  return map;
}

function oneOf<T extends string>(
  flag: string,
  allowed: readonly T[],
  value?: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    refuse(flag, `must be ${allowed.join(' or ')}`);
  }
  return value as T;
}

/**
 * `repro email`: sets a project's email settings (staff senders, unknown senders, the domain →
 * account map, who questions go to), then prints the inbound URL and the settings.
 */
export async function emailCommand(options: EmailOptions, io: CliIo): Promise<void> {
  const config = loadConfig(io.env);
  const staffSenders = staffOption(options.staff);
  const domainAccounts = domainAccountsOption(options.domainAccounts);
  const unknownSenders = oneOf<EmailUnknownSenders>(
    '--unknown-senders',
    EMAIL_UNKNOWN_SENDERS,
    options.unknownSenders,
  );
  const questionsTo = oneOf<EmailQuestionsTo>(
    '--questions-to',
    EMAIL_QUESTIONS_TO,
    options.questionsTo,
  );
  const slug = options.project ?? DEFAULT_PROJECT_SLUG;
  const project = await withProjects(config, (projects) =>
    projects.updateEmailSettings(slug, {
      staffSenders,
      unknownSenders,
      domainAccounts,
      questionsTo,
    }),
  );
  const domains = Object.entries(project.emailDomainAccounts);
  io.out(
    [
      `Project: ${project.slug}`,
      `Inbound: POST ${config.PUBLIC_URL}/v1/emails (Content-Type: message/rfc822, the project's API key)`,
      `Staff senders: ${project.emailStaffSenders.length ? project.emailStaffSenders.join(', ') : 'none'}`,
      `Unknown senders: ${project.emailUnknownSenders === 'report' ? 'report (their mail is their report)' : 'refuse (403)'}`,
      `Domain accounts: ${domains.length ? domains.map(([d, a]) => `${d}=${a}`).join(', ') : 'none'}`,
      `Questions to: ${project.emailQuestionsTo} (used once questions go out by email, a later release)`,
      '',
    ].join('\n'),
  );
  if (!project.emailStaffSenders.length) {
    io.err(
      'No staff senders yet: a forwarded mail is read as the forwarder’s own report. Add yours with --staff you@yourco.com,@yourco.com\n',
    );
  }
}

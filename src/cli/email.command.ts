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
import { checkStaffSenders } from '../modules/projects/settings/settings-input';
import { commaList } from './options';
import { withProjects } from './with-projects';
import { hashApiKey } from '../modules/projects/api-key';
import {
  generateWebhookPassword,
  normalizeSendgridPublicKey,
} from '../modules/email/webhooks/webhook-auth';

export interface EmailOptions {
  project?: string;
  staff?: string;
  unknownSenders?: string;
  domainAccounts?: string;
  questionsTo?: string;
  postmarkPassword?: string;
  sendgridPassword?: string;
  mailgunSigningKey?: string;
  sendgridPublicKey?: string;
}

const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/;

function refuse(field: string, message: string): never {
  throw new ValidationFailedError([{ field, message }], `${field}: ${message}`);
}

/** `a@x.com,@x.com` → the staff list (lower-cased); `none` clears it. The settings page's check. */
function staffOption(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === 'none') return [];
  const { value: staff, problems } = checkStaffSenders('--staff', commaList(value)!);
  if (problems.length) refuse('--staff', problems[0].message);
  return staff;
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

const URL_SAFE_PASSWORD = /^[A-Za-z0-9._~-]{16,200}$/;

/** `new` → a generated password (shown once); `none` → off; else the password given. */
function webhookPassword(
  flag: string,
  value: string | undefined,
): { hash: string | null; shown: string | null } | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === 'none') return { hash: null, shown: null };
  const password = value.trim() === 'new' ? generateWebhookPassword() : value;
  if (!URL_SAFE_PASSWORD.test(password)) {
    refuse(flag, 'must be new, none, or 16+ characters of A-Z a-z 0-9 . _ ~ - (it goes in a URL)');
  }
  return { hash: hashApiKey(password), shown: value.trim() === 'new' ? password : null };
}

function signingKeyOption(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === 'none') return null;
  if (!/^\S{8,200}$/.test(value.trim()))
    refuse('--mailgun-signing-key', 'must be the key, or none');
  return value.trim();
}

/** SendGrid's verification key (base64 or PEM, P-256) as stored; `none` → off. */
function sendgridPublicKeyOption(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === 'none') return null;
  const key = normalizeSendgridPublicKey(value);
  if (!key) {
    refuse(
      '--sendgrid-public-key',
      "must be the security policy's public_key (base64 or PEM, an ECDSA P-256 key), or none",
    );
  }
  return key;
}

/** PUBLIC_URL with `user:password@` before the host, for a provider's webhook URL field. */
function withCredentials(url: string, user: string, password: string): string {
  return url.replace(/^(https?:\/\/)/, `$1${user}:${password}@`);
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
  const postmark = webhookPassword('--postmark-password', options.postmarkPassword);
  const sendgrid = webhookPassword('--sendgrid-password', options.sendgridPassword);
  const mailgunSigningKey = signingKeyOption(options.mailgunSigningKey);
  const sendgridPublicKey = sendgridPublicKeyOption(options.sendgridPublicKey);
  const slug = options.project ?? DEFAULT_PROJECT_SLUG;
  const [project, secrets] = await withProjects(config, async (projects) => [
    await projects.updateEmailSettings(slug, {
      staffSenders,
      unknownSenders,
      domainAccounts,
      questionsTo,
    }),
    await projects.updateEmailWebhookSecrets(slug, {
      postmarkPasswordHash: postmark?.hash,
      sendgridPasswordHash: sendgrid?.hash,
      mailgunSigningKey,
      sendgridPublicKey,
    }),
  ]);
  const hooks = `${config.PUBLIC_URL}/v1/emails/webhooks/${encodeURIComponent(project.slug)}`;
  const state = (set: boolean) => (set ? 'set' : 'off: set it with');
  const domains = Object.entries(project.emailDomainAccounts);
  io.out(
    [
      `Project: ${project.slug}`,
      `Inbound: POST ${config.PUBLIC_URL}/v1/emails (Content-Type: message/rfc822, the project's API key)`,
      `Postmark webhook: ${withCredentials(`${hooks}/postmark`, 'postmark', postmark?.shown ?? '<password>')} (password ${state(!!secrets.emailPostmarkPasswordHash)}${secrets.emailPostmarkPasswordHash ? '' : ' --postmark-password new'})`,
      secrets.emailSendgridPublicKey
        ? `SendGrid Inbound Parse: ${hooks}/sendgrid (signed: verification key set; a post without its signature is refused)`
        : `SendGrid Inbound Parse: ${withCredentials(`${hooks}/sendgrid`, 'sendgrid', sendgrid?.shown ?? '<password>')} (password ${state(!!secrets.emailSendgridPasswordHash)}${secrets.emailSendgridPasswordHash ? '' : ' --sendgrid-password new'}; or sign it: --sendgrid-public-key <key>)`,
      `Mailgun route: forward("${hooks}/mailgun/mime") (signing key ${state(!!secrets.emailMailgunSigningKey)}${secrets.emailMailgunSigningKey ? '' : ' --mailgun-signing-key <key>'})`,
      `SMTP: ${config.EMAIL_SMTP_PORT && config.EMAIL_SMTP_DOMAIN ? `${project.slug}@${config.EMAIL_SMTP_DOMAIN} (the listener on port ${config.EMAIL_SMTP_PORT})` : 'off: set EMAIL_SMTP_PORT and EMAIL_SMTP_DOMAIN'}`,
      `Staff senders: ${project.emailStaffSenders.length ? project.emailStaffSenders.join(', ') : 'none'}`,
      `Unknown senders: ${project.emailUnknownSenders === 'report' ? 'report (their mail is their report)' : 'refuse (403)'}`,
      `Domain accounts: ${domains.length ? domains.map(([d, a]) => `${d}=${a}`).join(', ') : 'none'}`,
      `Questions to: ${project.emailQuestionsTo} (used once questions go out by email, a later release)`,
      '',
    ].join('\n'),
  );
  if (postmark?.shown || sendgrid?.shown) {
    io.err('The new webhook password is shown once (only its hash is kept): copy the URL now.\n');
  }
  if (!project.emailStaffSenders.length) {
    io.err(
      'No staff senders yet: a forwarded mail is read as the forwarder’s own report. Add yours with --staff you@yourco.com,@yourco.com\n',
    );
  }
}

import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { SEVERITIES } from '../common/severity';

const bool = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');

const int = (min: number, max: number) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` });

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

/** `urgent,high`, or `none` for an empty list. */
const severityList = z
  .string()
  .transform((v) => (v.trim() === 'none' ? [] : v.split(',').map((s) => s.trim())))
  .pipe(
    z.array(z.enum(SEVERITIES, { message: `must be none or a list of ${SEVERITIES.join(', ')}` })),
  );

const httpUrl = url(['http:', 'https:']);

/** `<repo root>/dist/widget`, from the source tree (src/config) or the build (dist/src/config). */
function defaultWidgetDir(): string {
  const base = resolve(__dirname, '..', '..');
  return basename(base) === 'dist' ? join(base, 'widget') : join(base, 'dist', 'widget');
}
const secret = (minLength: number) =>
  z.string().min(minLength, { message: `must be at least ${minLength} characters` });

/**
 * Every environment variable Repro reads. Code reads the parsed, typed result (AppConfig),
 * never process.env. Optional integrations are validated only when present.
 */
export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: int(1, 65535).default(3000),
    PUBLIC_URL: httpUrl.optional(),
    DATABASE_URL: url(['postgres:', 'postgresql:']).default(
      'postgres://postgres@127.0.0.1:5432/repro',
    ),
    REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, { message: 'must be 1-32 letters, digits, - or _' })
      .default('repro'),
    ADMIN_TOKEN: secret(16).optional(),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),

    MIGRATIONS_RUN: bool.default(true),
    REPORT_BODY_LIMIT_BYTES: int(1024, 512 * 1024 * 1024).default(20 * 1024 * 1024),
    SHUTDOWN_TIMEOUT_MS: int(0, 10 * 60_000).default(25_000),
    // POST /v1/emails: the largest mail (after gzip) and the largest attachment kept (larger ones are listed).
    EMAIL_MAX_BYTES: int(1024, 512 * 1024 * 1024).default(25 * 1024 * 1024),
    EMAIL_ATTACHMENT_MAX_BYTES: int(1024, 512 * 1024 * 1024).default(10 * 1024 * 1024),
    // The built-in SMTP listener (API process): off unless a port is set.
    EMAIL_SMTP_PORT: int(1, 65535).optional(),
    EMAIL_SMTP_HOST: z.string().min(1).default('0.0.0.0'),
    EMAIL_SMTP_DOMAIN: z
      .string()
      .regex(/^(?=.{1,253}$)([A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{1,63}$/, {
        message: 'must be a domain name like mail.example.com',
      })
      .transform((v) => v.toLowerCase())
      .optional(),
    EMAIL_SMTP_TLS_KEY: z.string().min(1).optional(),
    EMAIL_SMTP_TLS_CERT: z.string().min(1).optional(),
    EMAIL_SMTP_MESSAGES_PER_MINUTE: int(1, 1e9).default(60),
    // A mail takes the sender's streamed widget session recorded up to this long before it was sent.
    EMAIL_RECORDING_WINDOW_MINUTES: int(0, 7 * 24 * 60).default(60),
    // Past it a recording is unusable: the report goes on without its analysis.
    RECORDING_ANALYSIS_TIMEOUT_MS: int(1, 60 * 60_000).default(120_000),
    RECORDING_MAX_COMPRESSED_BYTES: int(1024, 2 ** 31 - 1).default(10 * 1024 * 1024),
    RECORDING_MAX_INFLATED_BYTES: int(1024, 2 ** 31 - 1).default(100 * 1024 * 1024),
    // Streamed sessions no report took are deleted this long after their last chunk.
    RECORDING_UNCLAIMED_SESSION_HOURS: int(1, 365 * 24).default(24),
    // Limits (README "Limits"): rate limits and hourly quotas live in Redis, shared by API processes.
    RECORDING_CHUNK_MAX_INFLATED_BYTES: int(1024, 2 ** 31 - 1).default(8 * 1024 * 1024),
    RECORDING_QUOTA_SESSIONS_PER_HOUR: int(1, 1e9).default(20_000),
    RECORDING_QUOTA_CHUNKS_PER_HOUR: int(1, 1e9).default(200_000),
    RECORDING_QUOTA_INFLATED_BYTES_PER_HOUR: int(1024 * 1024, 2 ** 50).default(10 * 1024 ** 3),
    RATE_LIMIT_PER_KEY_PER_MINUTE: int(1, 1e9).default(60_000),
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: int(1, 1e9).default(60_000),
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: int(1, 1e9).default(20),
    API_KEY_CACHE_MS: int(0, 60_000).default(5_000),
    // People signing in to the app (README "Signing in"): per email and per address, right or wrong.
    RATE_LIMIT_SIGN_IN_PER_MINUTE: int(1, 1e9).default(5),
    RATE_LIMIT_SIGN_IN_PER_ADDRESS_PER_MINUTE: int(1, 1e9).default(20),
    // A session unused this long ends; none outlives SESSION_MAX_HOURS after sign-in.
    SESSION_IDLE_MINUTES: int(1, 525_600).default(720),
    SESSION_MAX_HOURS: int(1, 8_760).default(168),
    // The widget's public key is in every customer's page: its own, lower limit per project.
    RATE_LIMIT_PER_WIDGET_KEY_PER_MINUTE: int(1, 1e9).default(6_000),
    // Per project, once the provider's credential passed: a mail loop or flood stops here.
    RATE_LIMIT_EMAIL_WEBHOOKS_PER_MINUTE: int(1, 1e9).default(600),
    // The built widget script (npm run build): served at /widget.js and /widget/<version>.js.
    WIDGET_DIR: z.string().min(1).default(defaultWidgetDir),
    // The demo app at /demo (the widget installed, two deliberate bugs): on for trying Repro out.
    DEMO_ENABLED: bool.default(true),
    // Outgoing webhooks may go to loopback, private and link-local addresses (SSRF guard off).
    WEBHOOK_ALLOW_PRIVATE_TARGETS: bool.default(false),
    TRUST_PROXY: z
      .string()
      .regex(
        /^(true|false|\d{1,2}|((loopback|linklocal|uniquelocal|[\dA-Fa-f.:]+(\/\d{1,3})?),? *)+)$/,
        {
          message: 'must be false, true, a number of proxies, or proxy addresses/subnets',
        },
      )
      .transform((v): boolean | number | string =>
        v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v,
      )
      .default(false),

    WORKER_CONCURRENCY: int(1, 256).default(4),
    JOB_ATTEMPTS: int(1, 100).default(12),
    JOB_BACKOFF_MS: int(10, 3_600_000).default(1_000),
    JOB_LOCK_MS: int(1_000, 3_600_000).default(30_000),
    RECONCILE_EVERY_MS: int(500, 24 * 3_600_000).default(30_000),
    RECONCILE_STUCK_AFTER_MS: int(0, 7 * 24 * 3_600_000).default(120_000),
    RECONCILE_PAGE_SIZE: int(1, 10_000).default(500),

    SENTRY_DSN: httpUrl.optional(),
    SENTRY_ENVIRONMENT: z.string().min(1).optional(),

    // Integrations: validated now, consumed by their own modules as they land.
    LINEAR_API_KEY: secret(8).optional(),
    LINEAR_TEAM: z.string().min(1).optional(),
    LINEAR_API_URL: httpUrl.optional(),
    LINEAR_WEBHOOK_SECRET: secret(8).optional(),
    GITHUB_TOKEN: secret(8).optional(),
    GITHUB_REPO: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { message: 'must look like owner/name' })
      .optional(),
    GITHUB_API_URL: httpUrl.optional(),
    GITHUB_WEBHOOK_SECRET: secret(8).optional(),
    SENTRY_AUTH_TOKEN: secret(8).optional(),
    SENTRY_ORG: z.string().min(1).optional(),
    SENTRY_PROJECTS: z.string().min(1).optional(),
    SENTRY_BASE_URL: httpUrl.default('https://sentry.io'),
    SENTRY_MATCH_BEFORE_MINUTES: int(0, 7 * 24 * 60).default(30),
    SENTRY_MATCH_AFTER_MINUTES: int(0, 24 * 60).default(5),
    SENTRY_MATCH_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
    DEDUPE_DUPLICATE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.9),
    DEDUPE_POSSIBLE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.6),
    SENTRY_TIMEOUT_MS: int(100, 120_000).default(5_000),
    SENTRY_RETRY_BUDGET_MS: int(0, 10 * 60_000).default(15_000),
    OPENAI_API_KEY: secret(8).optional(),
    OPENAI_BASE_URL: httpUrl.optional(),
    OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
    OPENAI_EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
    OPENAI_TIMEOUT_MS: int(1_000, 10 * 60_000).default(60_000),
    // The triage agent: its bounds, and the default policy of projects that set none.
    AGENT_MAX_STEPS: int(2, 50).default(8),
    AGENT_TOKEN_BUDGET: int(1_000, 1_000_000).default(25_000),
    AGENT_MAX_QUESTIONS: int(0, 10).default(3),
    AGENT_AUTO_FILE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
    AGENT_APPROVAL_SEVERITIES: severityList.default([]),
    AGENT_APPROVAL_TIERS: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      )
      .default([]),
    AGENT_CLARIFY_TIMEOUT_MS: int(1_000, 30 * 24 * 3_600_000).default(24 * 3_600_000),
    AGENT_ON_CLARIFY_TIMEOUT: z.enum(['proceed', 'needs_human']).default('proceed'),
    SMTP_URL: url(['smtp:', 'smtps:']).optional(),
    MAIL_FROM: z.email({ message: 'must be an email address' }).optional(),
  })
  .superRefine((env, ctx) => {
    const together = (a: keyof typeof env, b: keyof typeof env) => {
      if (env[a] !== undefined && env[b] === undefined) {
        ctx.addIssue({ code: 'custom', path: [b], message: `is required when ${a} is set` });
      }
    };
    together('LINEAR_API_KEY', 'LINEAR_TEAM');
    together('GITHUB_TOKEN', 'GITHUB_REPO');
    together('SENTRY_AUTH_TOKEN', 'SENTRY_ORG');
    together('EMAIL_SMTP_PORT', 'EMAIL_SMTP_DOMAIN');
    together('EMAIL_SMTP_TLS_KEY', 'EMAIL_SMTP_TLS_CERT');
    together('EMAIL_SMTP_TLS_CERT', 'EMAIL_SMTP_TLS_KEY');
    if (env.LINEAR_API_KEY && env.GITHUB_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['GITHUB_TOKEN'],
        message: 'cannot be set together with LINEAR_API_KEY: choose one tracker destination',
      });
    }
  })
  .transform((env) => ({
    ...env,
    PUBLIC_URL: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
  }));

export type AppConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws ConfigError naming each bad variable (never its value). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // An empty string means "unset", as it does in docker-compose and most shells' exports.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = configSchema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(environment)'} ${issue.message}`,
    ),
  );
}

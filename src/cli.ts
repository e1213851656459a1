import { Command, CommanderError } from 'commander';
import type { AnalyzeOptions } from './cli/analyze.command';
import type { EvalDedupeOptions } from './cli/eval-dedupe.command';
import type { EvalTriageOptions } from './cli/eval-triage.command';
import type { CliIo } from './cli/io';
import type { PolicyOptions } from './cli/policy.command';
import type { TrackerOptions } from './cli/tracker.command';
import type { TriageOptions } from './cli/triage.command';
import type { EmailOptions } from './cli/email.command';
import type { WidgetOptions } from './cli/widget.command';
import type { CreateUserOptions } from './cli/users.command';
import type { WebhooksAddOptions } from './cli/webhooks-out.command';

export type { CliIo };

// Each command's code is imported when it runs, so `repro --help` loads commander and this
// file only, and `repro analyze` the analyzer only, never Nest, TypeORM or the agent.
export function buildCli(io: CliIo): Command {
  const program = new Command('repro')
    .description('Repro command line')
    .showHelpAfterError()
    // Subcommands inherit both: commander neither exits the process nor writes to it.
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const project = [
    '-p, --project <slug>',
    'project slug (the default project if omitted)',
  ] as const;

  program
    .command('tracker')
    .description(
      "Show or set a project's destination choices (credentials stay in the environment): team, labels, state, repo, assignees",
    )
    .option(...project)
    .option('--team <key>', 'Linear team key or id (default LINEAR_TEAM)')
    .option('--labels <names>', 'comma-separated labels put on every ticket')
    .option('--state <name>', 'Linear workflow state for new issues')
    .option('--repo <owner/name>', 'GitHub repository (default GITHUB_REPO)')
    .option('--assignees <logins>', 'comma-separated GitHub assignees')
    .action(async (options: TrackerOptions) => {
      const { trackerCommand } = await import('./cli/tracker.command');
      await trackerCommand(options, io);
    });

  program
    .command('policy')
    .description(
      'Show or set what the triage agent may do alone in a project (unset settings take the AGENT_* defaults)',
    )
    .option(...project)
    .option('--auto-file-threshold <0-1>', 'file without a person at or above this confidence')
    .option('--approval-severities <list>', 'severities a person approves: urgent,high… or none')
    .option('--approval-tiers <list>', 'account tiers whose reports a person approves, or none')
    .option('--max-questions <n>', 'questions asked of the reporter in total')
    .option('--allowed-tools <list>', 'tools the agent may use (comma-separated)')
    .option('--allow-reporter-email <yes|no>', "keep the reporter's own email in text for the LLM")
    .option('--on-clarify-timeout <proceed|needs_human>', 'when the reporter does not answer')
    .option('--logs-hint <text>', 'where reporters find logs, quoted when the agent asks for them')
    .option('--version-hint <text>', 'where reporters find the version, quoted when asked')
    .option('--latest-hint <text>', 'the newest version or where to get it, quoted when asked')
    .option('--versioned <yes|no>', 'reporters run a version of their own (an app, self-hosted)')
    .option('--reset <settings>', 'comma-separated settings returned to the default')
    .action(async (options: PolicyOptions) => {
      const { policyCommand } = await import('./cli/policy.command');
      await policyCommand(options, io);
    });

  program
    .command('triage <report.json>')
    .description(
      'Run the triage agent on a report file (the POST /v1/reports body) and print the facts, the questions it would ask and the ticket draft',
    )
    .option('--recording <events.json>', 'an rrweb recording (.json, .json.gz or .jsonl)')
    .option('--dry-run', 'store and send nothing (required: the service triages real reports)')
    .option('--policy <policy.json>', 'a policy to try (settings as in `repro policy`)')
    .option('--json', 'print { facts, questions, decision, ticket: { title, body } }')
    .action(async (file: string, options: TriageOptions) => {
      const { triageCommand } = await import('./cli/triage.command');
      await triageCommand(file, options, io);
    });

  program
    .command('widget')
    .description(
      "Show or set a project's in-app widget: its public key, the origins allowed to use it, and the script tag to add to your pages",
    )
    .option(...project)
    .option(
      '--allowed-origins <origins>',
      'comma-separated origins (https://app.example.com), or none',
    )
    .option('--show-ticket-key <yes|no>', 'whether the widget shows the reporter the ticket key')
    .option('--rotate-key', 'issue a new widget key; the old one is refused at once')
    .action(async (options: WidgetOptions) => {
      const { widgetCommand } = await import('./cli/widget.command');
      await widgetCommand(options, io);
    });

  program
    .command('email')
    .description(
      "Show or set how a project takes reports by email: the inbound URL, the staff allowed to forward customers' mail, what other senders' mail becomes, and the domain-to-account map",
    )
    .option(...project)
    .option(
      '--staff <senders>',
      'comma-separated addresses (a@x.com) and domains (@x.com) whose forwards are about the original customer; none to clear',
    )
    .option(
      '--unknown-senders <report|refuse>',
      'mail from anyone else: their own report, or refused (403)',
    )
    .option(
      '--domain-accounts <map>',
      'reporters by email domain to accounts: customer.io=acct_42,…; none to clear',
    )
    .option(
      '--questions-to <reporter|forwarder>',
      "who the agent's questions about a forwarded mail go to (stored now; questions by email come in a later release)",
    )
    .option(
      '--postmark-password <new|none|password>',
      'basic-auth password of the Postmark inbound webhook URL: new generates one (shown once); stored hashed',
    )
    .option(
      '--sendgrid-password <new|none|password>',
      'basic-auth password of the SendGrid Inbound Parse URL: new generates one (shown once); stored hashed',
    )
    .option(
      '--mailgun-signing-key <key|none>',
      "Mailgun's HTTP webhook signing key, to check its routes' signatures",
    )
    .option(
      '--sendgrid-public-key <key|none>',
      "the public_key of SendGrid's Inbound Parse signing security policy (base64 or PEM): every post must then be signed",
    )
    .action(async (options: EmailOptions) => {
      const { emailCommand } = await import('./cli/email.command');
      await emailCommand(options, io);
    });

  const keys = program.command('keys').description('Project API keys');
  keys
    .command('create')
    .description('Create an API key and print it (shown once)')
    .option(...project)
    .option('-l, --label <label>', 'a note to recognise the key by')
    .action(async (options: { project?: string; label?: string }) => {
      const { createKey } = await import('./cli/keys.command');
      await createKey(options, io);
    });
  keys
    .command('revoke <prefix>')
    .description('Revoke the key that starts with this prefix (repro_xxxxxxxxxx)')
    .action(async (prefix: string) => {
      const { revokeKey } = await import('./cli/keys.command');
      await revokeKey(prefix, io);
    });
  keys
    .command('list')
    .description("List a project's keys (prefixes only)")
    .option(...project)
    .action(async (options: { project?: string }) => {
      const { listKeys } = await import('./cli/keys.command');
      await listKeys(options, io);
    });

  const webhooks = program
    .command('webhooks')
    .description('Outgoing webhooks: endpoints that are told what became of reports');
  webhooks
    .command('add')
    .description('Add an endpoint and print its whsec_ signing secret (shown once)')
    .requiredOption('--url <url>', 'where deliveries are POSTed (public http:// or https://)')
    .option('--events <events>', 'comma-separated events (default: all)')
    .option(...project)
    .action(async (options: WebhooksAddOptions) => {
      const { addWebhookCommand } = await import('./cli/webhooks-out.command');
      await addWebhookCommand(options, io);
    });
  webhooks
    .command('list')
    .description("List a project's endpoints, their state and last deliveries (never secrets)")
    .option(...project)
    .action(async (options: { project?: string }) => {
      const { listWebhooksCommand } = await import('./cli/webhooks-out.command');
      await listWebhooksCommand(options, io);
    });

  const users = program.command('users').description('People who sign in to the app at /app');
  users
    .command('create')
    .description(
      'Add a person; prints a generated password once, unless --password-stdin gives one',
    )
    .requiredOption('--email <email>', 'their email address (they sign in with it)')
    .option('--name <name>', 'their name, as the app shows it')
    .option('--admin', 'an admin: every project, settings, keys and people (else a member)')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option(
      '--project <slug>',
      'a project a member reaches (repeatable; the default project if omitted)',
      (slug: string, previous: string[] | undefined) => [...(previous ?? []), slug],
    )
    .action(async (options: CreateUserOptions) => {
      const { createUserCommand } = await import('./cli/users.command');
      await createUserCommand(options, io);
    });
  users
    .command('list')
    .description('List the people who sign in: email, role, projects, state (never passwords)')
    .action(async () => {
      const { listUsersCommand } = await import('./cli/users.command');
      await listUsersCommand(io);
    });

  program
    .command('analyze <file>')
    .description(
      'Analyse an rrweb recording (.json, .json.gz or .jsonl) into steps, errors and signals',
    )
    .option('--json', "print the analyzer's object instead of Markdown")
    .option('--user-agent <ua>', 'the browser user agent, for the environment section')
    .option('--locale <locale>', "the reporter's locale")
    .option('--timezone <tz>', "the reporter's time zone")
    .action(async (file: string, options: AnalyzeOptions) => {
      const { analyzeCommand } = await import('./cli/analyze.command');
      await analyzeCommand(file, options, io);
    });

  const evaluate = program.command('eval').description('Measure how well Repro works on your data');
  evaluate
    .command('dedupe')
    .description(
      'Replay known duplicate pairs against a pool of open issues (in a scratch schema) and measure retrieval and the automatic-merge decision, beside plain full-text ranking',
    )
    .requiredOption(
      '--pairs <file.jsonl>',
      'duplicate pairs: repo, dup_title, dup_body, orig_number, orig_title, orig_body',
    )
    .option(
      '--distractors <file.jsonl...>',
      'other open issues for the pool: repo, number, title, body (several files allowed)',
    )
    .option('--per-repo', 'one tracker per repository instead of one pool for all')
    .option('--json', 'print the figures as JSON')
    .action(async (options: EvalDedupeOptions) => {
      const { evalDedupeCommand } = await import('./cli/eval-dedupe.command');
      await evalDedupeCommand(options, io);
    });
  evaluate
    .command('triage')
    .description(
      'Run the triage agent on reports a maintainer answered with a follow-up, and measure its questions: what they ask again that the report states, and how often they cover what the maintainer asked (no database)',
    )
    .requiredOption(
      '--reports <file.jsonl...>',
      'reports: repo, number, title, body, maintainer_followup (several files allowed)',
    )
    .option(
      '--per-report',
      'print each report: its questions, what it states, what the maintainer asked',
    )
    .option('--policy <policy.json>', 'a policy to try (settings as in `repro policy`)')
    .option('--json', 'print every record and the totals as JSON')
    .action(async (options: EvalTriageOptions) => {
      const { evalTriageCommand } = await import('./cli/eval-triage.command');
      await evalTriageCommand(options, io);
    });

  return program;
}

/**
 * Runs `repro` with the arguments after the command name and returns its exit code. Nothing
 * here exits the process: bin/repro.js maps the code, tests call this in-process.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildCli(io).parseAsync([...args], { from: 'user' });
    return 0;
  } catch (error) {
    // Commander has already written its usage message (or the help, with code 0).
    if (error instanceof CommanderError) return error.exitCode;
    io.err(formatCliError(error));
    return 1;
  }
}

/** The error's message and, for a validation error, each field and what is wrong with it. */
function formatCliError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const fields =
    (error as { details?: { fields?: { field: string; message: string }[] } } | null)?.details
      ?.fields ?? [];
  return `${message}${fields.map((f) => `\n  - ${f.field}: ${f.message}`).join('')}\n`;
}

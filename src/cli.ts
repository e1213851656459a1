import 'reflect-metadata';
import { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { LlmEngine, llmEngineOptions } from './modules/triage/engine/llm/llm-engine';
import { openAiClientFromConfig } from './integrations/openai/openai.client';
import {
  DEFAULT_POLICY,
  type PolicyOverrides,
  policyDefaults,
  policySchema,
  resolvePolicy,
} from './modules/projects/policy';
import { dryRunTriage, formatDryRun } from './modules/intake/triage-dry-run';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from './config/config.schema';
import { prepareDatabase } from './app';
import { dataSourceOptions } from './database/data-source';
import {
  type Distractor,
  type DuplicatePair,
  evaluateDedupe,
  formatReport,
  readJsonl,
} from './modules/dedupe/eval/dedupe-eval';
import { DEFAULT_PROJECT_SLUG, ProjectsService } from './modules/projects/projects.service';
import { RecordingAnalyzer } from './modules/recordings/analyzer/analyzer';
import { analysisMarkdown } from './modules/recordings/analyzer/markdown';
import type { AnalyzerContext, RecordingAnalysis } from './modules/recordings/analyzer/types';
import { RecordingReader } from './modules/recordings/recording-reader';

/** `a, b,c` → ['a', 'b', 'c']; undefined stays undefined (the option was not given). */
function commaList(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** yes/no flags: anything else is refused, naming the flag. */
function yesNo(flag: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (['yes', 'true', '1'].includes(value)) return true;
  if (['no', 'false', '0'].includes(value)) return false;
  throw new Error(`${flag} must be yes or no`);
}

/** Opens the database (creating and migrating it if needed) for one command. */
async function withProjects<T>(action: (projects: ProjectsService) => Promise<T>): Promise<T> {
  const config = loadConfig();
  await prepareDatabase(config);
  const db = new DataSource({ ...dataSourceOptions(config.DATABASE_URL), extra: { max: 2 } });
  await db.initialize();
  try {
    return await action(new ProjectsService(db));
  } finally {
    await db.destroy();
  }
}

export function buildCli(): Command {
  const program = new Command('repro').description('Repro command line').showHelpAfterError();

  program
    .command('tracker')
    .description(
      "Show or set a project's destination choices (credentials stay in the environment): team, labels, state, repo, assignees",
    )
    .option('-p, --project <slug>', 'project', DEFAULT_PROJECT_SLUG)
    .option('--team <key>', 'Linear team key or id (default LINEAR_TEAM)')
    .option('--labels <names>', 'comma-separated labels put on every ticket')
    .option('--state <name>', 'Linear workflow state for new issues')
    .option('--repo <owner/name>', 'GitHub repository (default GITHUB_REPO)')
    .option('--assignees <logins>', 'comma-separated GitHub assignees')
    .action(
      async (options: {
        project: string;
        team?: string;
        labels?: string;
        state?: string;
        repo?: string;
        assignees?: string;
      }) => {
        const settings = await withProjects((projects) =>
          projects.updateTrackerConfig(options.project, {
            team: options.team,
            labels: commaList(options.labels),
            state: options.state,
            repo: options.repo,
            assignees: commaList(options.assignees),
          }),
        );
        process.stdout.write(`${JSON.stringify(settings, null, 2)}\n`);
      },
    );

  program
    .command('policy')
    .description(
      'Show or set what the triage agent may do alone in a project (unset settings take the AGENT_* defaults)',
    )
    .option('-p, --project <slug>', 'project', DEFAULT_PROJECT_SLUG)
    .option('--auto-file-threshold <0-1>', 'file without a person at or above this confidence')
    .option('--approval-severities <list>', 'severities a person approves: urgent,high… or none')
    .option('--approval-tiers <list>', 'account tiers whose reports a person approves, or none')
    .option('--max-questions <n>', 'questions asked of the reporter in total')
    .option('--allowed-tools <list>', 'tools the agent may use (comma-separated)')
    .option('--allow-reporter-email <yes|no>', "keep the reporter's own email in text for the LLM")
    .option('--on-clarify-timeout <proceed|needs_human>', 'when the reporter does not answer')
    .option('--reset <settings>', 'comma-separated settings returned to the default')
    .action(async (options: Record<string, string | undefined> & { project: string }) => {
      const list = (v?: string) => (v === 'none' ? [] : commaList(v));
      const num = (v?: string) => (v === undefined ? undefined : Number(v));
      const changes: Record<string, unknown> = {
        autoFileThreshold: num(options.autoFileThreshold),
        approvalSeverities: list(options.approvalSeverities),
        approvalTiers: list(options.approvalTiers),
        maxQuestions: num(options.maxQuestions),
        allowedTools: list(options.allowedTools),
        allowReporterEmail: yesNo('--allow-reporter-email', options.allowReporterEmail),
        onClarifyTimeout: options.onClarifyTimeout,
      };
      for (const key of list(options.reset) ?? []) {
        if (!(key in DEFAULT_POLICY)) {
          throw new Error(
            `--reset: unknown setting ${key} (settings: ${Object.keys(DEFAULT_POLICY).join(', ')})`,
          );
        }
        changes[key] = null;
      }
      const config = loadConfig();
      const own = await withProjects((projects) =>
        projects.updateAgentPolicy(options.project, changes),
      );
      process.stdout.write(
        `${JSON.stringify({ project: own, effective: resolvePolicy(own, policyDefaults(config)) }, null, 2)}\n`,
      );
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
    .action(
      async (
        file: string,
        options: { recording?: string; dryRun?: boolean; policy?: string; json?: boolean },
      ) => {
        if (!options.dryRun) {
          throw new Error(
            'repro triage only runs with --dry-run: the service triages stored reports',
          );
        }
        const config = loadConfig();
        const body = JSON.parse(await readFile(file, 'utf8')) as unknown;
        const recording = options.recording
          ? await analyzeFile(options.recording, {
              userAgent: (body as { client?: { userAgent?: string } })?.client?.userAgent,
            })
          : null;
        let overrides: unknown = null;
        if (options.policy) {
          const parsed = policySchema.safeParse(JSON.parse(await readFile(options.policy, 'utf8')));
          if (!parsed.success) {
            throw new Error(
              `The policy file is not valid:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`,
            );
          }
          overrides = parsed.data;
        }
        const policy = resolvePolicy(overrides as PolicyOverrides | null, policyDefaults(config));
        const client = openAiClientFromConfig(config);
        const result = await dryRunTriage(body, {
          recording,
          policy,
          llm: client ? new LlmEngine(client, llmEngineOptions(config)) : undefined,
        });
        process.stdout.write(
          options.json
            ? `${JSON.stringify(
                {
                  facts: result.facts,
                  questions: result.questions,
                  decision: result.decision,
                  reason: result.reason,
                  engine: result.engine,
                  fallbackReason: result.fallbackReason,
                  ticket: result.ticket,
                },
                null,
                2,
              )}\n`
            : formatDryRun(result),
        );
      },
    );

  const keys = program.command('keys').description('Project API keys');

  keys
    .command('create')
    .description('Create an API key and print it (shown once)')
    .option('-p, --project <slug>', 'project', DEFAULT_PROJECT_SLUG)
    .option('-l, --label <label>', 'a note to recognise the key by')
    .action(async (options: { project: string; label?: string }) => {
      const issued = await withProjects(async (projects) => {
        if (options.project === DEFAULT_PROJECT_SLUG) {
          const first = await projects.ensureDefaultProject();
          if (first) return first;
        }
        return projects.createApiKey(options.project, options.label ?? null);
      });
      process.stdout.write(`${issued.key}\n`);
      process.stderr.write(
        `Created ${issued.prefix} for project ${issued.project.slug}. It is not shown again.\n`,
      );
    });

  keys
    .command('revoke <prefix>')
    .description('Revoke the key that starts with this prefix (repro_xxxxxxxxxx)')
    .action(async (prefix: string) => {
      const revoked = await withProjects((projects) => projects.revokeApiKey(prefix));
      if (!revoked) {
        process.stderr.write(`No live key with prefix ${prefix}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`Revoked ${prefix}\n`);
    });

  keys
    .command('list')
    .description("List a project's keys (prefixes only)")
    .option('-p, --project <slug>', 'project', DEFAULT_PROJECT_SLUG)
    .action(async (options: { project: string }) => {
      const rows = await withProjects((projects) => projects.listApiKeys(options.project));
      for (const row of rows) {
        const state = row.revokedAt ? `revoked ${row.revokedAt.toISOString()}` : 'live';
        process.stdout.write(
          `${row.prefix}\t${state}\t${row.createdAt.toISOString()}\t${row.label ?? ''}\n`,
        );
      }
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
    .action(
      async (
        file: string,
        options: { json?: boolean; userAgent?: string; locale?: string; timezone?: string },
      ) => {
        const analysis = await analyzeFile(file, {
          userAgent: options.userAgent,
          locale: options.locale,
          timezone: options.timezone,
        });
        process.stdout.write(
          options.json ? `${JSON.stringify(analysis, null, 2)}\n` : analysisMarkdown(analysis),
        );
      },
    );

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
    .action(
      async (options: {
        pairs: string;
        distractors?: string[];
        perRepo?: boolean;
        json?: boolean;
      }) => {
        const config = loadConfig();
        await prepareDatabase(config);
        const pairs = await readJsonl<DuplicatePair>(options.pairs);
        const distractors = (
          await Promise.all((options.distractors ?? []).map((f) => readJsonl<Distractor>(f)))
        ).flat();
        const report = await evaluateDedupe({
          databaseUrl: config.DATABASE_URL,
          pairs,
          distractors,
          perRepo: options.perRepo ?? false,
          thresholds: {
            duplicate: config.DEDUPE_DUPLICATE_THRESHOLD,
            possible: config.DEDUPE_POSSIBLE_THRESHOLD,
          },
        });
        process.stdout.write(
          options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report),
        );
      },
    );

  return program;
}

/** Streams a recording file through the reader and the analyzer, whatever its size. */
export async function analyzeFile(
  file: string,
  context: AnalyzerContext,
): Promise<RecordingAnalysis> {
  const reader = new RecordingReader();
  const analyzer = new RecordingAnalyzer(context);
  for await (const batch of reader.batches(createReadStream(file))) {
    for (const event of batch) analyzer.push(event);
  }
  const analysis = analyzer.finish();
  analysis.stats.bytes = reader.bytes;
  if (reader.problems.truncated)
    analysis.uninterpreted.push({ what: 'the file ends before the recording does', count: 1 });
  if (reader.problems.malformed) {
    analysis.uninterpreted.push({
      what: 'elements that were not JSON',
      count: reader.problems.malformed,
    });
  }
  return analysis;
}

if (require.main === module) {
  buildCli()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(
        `${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}${((error as { details?: { fields?: { field: string; message: string }[] } } | null)?.details?.fields ?? []).map((f) => `\n  - ${f.field}: ${f.message}`).join('')}\n`,
      );
      process.exit(1);
    });
}

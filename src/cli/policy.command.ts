import type { CliIo } from './io';
import { loadConfig } from '../config/config.schema';
import { DEFAULT_POLICY, policyDefaults, resolvePolicy } from '../modules/projects/policy';
import { DEFAULT_PROJECT_SLUG } from '../modules/projects/projects.service';
import { commaList, yesNo } from './options';
import { withProjects } from './with-projects';

export interface PolicyOptions {
  project?: string;
  autoFileThreshold?: string;
  approvalSeverities?: string;
  approvalTiers?: string;
  maxQuestions?: string;
  allowedTools?: string;
  allowReporterEmail?: string;
  onClarifyTimeout?: string;
  logsHint?: string;
  versionHint?: string;
  latestHint?: string;
  versioned?: string;
  reset?: string;
}

/** `repro policy`: shows or sets what the triage agent may do alone in a project. */
export async function policyCommand(options: PolicyOptions, io: CliIo): Promise<void> {
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
  const hints = {
    logs: options.logsHint,
    version: options.versionHint,
    latest: options.latestHint,
    versioned: yesNo('--versioned', options.versioned),
  };
  if (Object.values(hints).some((v) => v !== undefined)) changes.questionHints = hints;
  for (const key of list(options.reset) ?? []) {
    if (!(key in DEFAULT_POLICY)) {
      throw new Error(
        `--reset: unknown setting ${key} (settings: ${Object.keys(DEFAULT_POLICY).join(', ')})`,
      );
    }
    changes[key] = null;
  }
  const config = loadConfig(io.env);
  const own = await withProjects(config, (projects) =>
    projects.updateAgentPolicy(options.project ?? DEFAULT_PROJECT_SLUG, changes),
  );
  io.out(
    `${JSON.stringify({ project: own, effective: resolvePolicy(own, policyDefaults(config)) }, null, 2)}\n`,
  );
}

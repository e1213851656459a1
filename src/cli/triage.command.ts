import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import type { CliIo } from './io';
import { loadConfig } from '../config/config.schema';
import { LlmEngine, llmEngineOptions } from '../modules/triage/engine/llm/llm-engine';
import { openAiClientFromConfig } from '../integrations/openai/openai.client';
import { policyFromFile } from './policy-file';
import { dryRunTriage, formatDryRun } from '../modules/intake/triage-dry-run';
import { analyzeFile } from './analyze.command';

export interface TriageOptions {
  recording?: string;
  dryRun?: boolean;
  policy?: string;
  json?: boolean;
}

/** `repro triage <report.json> --dry-run`: stores and sends nothing, opens no database. */
export async function triageCommand(
  file: string,
  options: TriageOptions,
  io: CliIo,
): Promise<void> {
  if (!options.dryRun) {
    throw new Error('repro triage only runs with --dry-run: the service triages stored reports');
  }
  const config = loadConfig(io.env);
  const body = JSON.parse(await readFile(file, 'utf8')) as unknown;
  const recording = options.recording
    ? await analyzeFile(options.recording, {
        userAgent: (body as { client?: { userAgent?: string } })?.client?.userAgent,
      })
    : null;
  const policy = await policyFromFile(options.policy, config);
  const client = openAiClientFromConfig(config);
  const result = await dryRunTriage(body, {
    recording,
    policy,
    llm: client ? new LlmEngine(client, llmEngineOptions(config)) : undefined,
  });
  io.out(
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
}

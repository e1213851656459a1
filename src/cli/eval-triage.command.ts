import 'reflect-metadata';
import type { CliIo } from './io';
import { loadConfig } from '../config/config.schema';
import { LlmEngine, llmEngineOptions } from '../modules/triage/engine/llm/llm-engine';
import { openAiClientFromConfig } from '../integrations/openai/openai.client';
import { policyFromFile } from './policy-file';
import { readJsonl } from '../modules/dedupe/eval/dedupe-eval';
import {
  type EvalReportRow,
  evaluateTriage,
  formatTriageReport,
} from '../modules/triage/eval/triage-eval';
import { triageRunner } from '../modules/triage/eval/eval-runner';

export interface EvalTriageOptions {
  reports: string[];
  json?: boolean;
  perReport?: boolean;
  policy?: string;
}

function checkRow(row: unknown, file: string, line: number): EvalReportRow {
  const r = row as Partial<EvalReportRow> | null;
  if (
    !r ||
    typeof r.title !== 'string' ||
    typeof r.repo !== 'string' ||
    !['number', 'string'].includes(typeof r.number)
  ) {
    throw new Error(`${file}: row ${line} needs repo, number, title and body`);
  }
  return { ...r, body: typeof r.body === 'string' ? r.body : '' } as EvalReportRow;
}

/**
 * `repro eval triage --reports <file.jsonl>...`: the agent's first turn on each report, with
 * no database; the LLM engine when OPENAI_API_KEY is set, as `repro triage` does.
 */
export async function evalTriageCommand(options: EvalTriageOptions, io: CliIo): Promise<void> {
  const config = loadConfig(io.env);
  const rows: EvalReportRow[] = [];
  for (const file of options.reports) {
    (await readJsonl<unknown>(file)).forEach((row, i) => rows.push(checkRow(row, file, i + 1)));
  }
  const policy = await policyFromFile(options.policy, config);
  const client = openAiClientFromConfig(config);
  const llm = client ? new LlmEngine(client, llmEngineOptions(config)) : undefined;
  const report = await evaluateTriage(rows, triageRunner({ policy, llm }));
  io.out(
    options.json
      ? `${JSON.stringify({ engine: llm ? 'llm' : 'deterministic', ...report }, null, 2)}\n`
      : `Engine: ${llm ? 'llm' : 'deterministic'}\n\n${formatTriageReport(report, { perReport: options.perReport })}`,
  );
}

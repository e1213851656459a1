import type { CliIo } from './io';
import { loadConfig } from '../config/config.schema';
import {
  type Distractor,
  type DuplicatePair,
  evaluateDedupe,
  formatReport,
  readJsonl,
} from '../modules/dedupe/eval/dedupe-eval';
import { prepareDatabase } from '../database/prepare-database';

export interface EvalDedupeOptions {
  pairs: string;
  distractors?: string[];
  perRepo?: boolean;
  json?: boolean;
}

/** `repro eval dedupe`: replays known duplicate pairs in a scratch schema. */
export async function evalDedupeCommand(options: EvalDedupeOptions, io: CliIo): Promise<void> {
  const config = loadConfig(io.env);
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
  io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
}

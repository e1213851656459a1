import { createReadStream } from 'node:fs';
import type { CliIo } from './io';
import { RecordingAnalyzer } from '../modules/recordings/analyzer/analyzer';
import { analysisMarkdown } from '../modules/recordings/analyzer/markdown';
import type { AnalyzerContext, RecordingAnalysis } from '../modules/recordings/analyzer/types';
import { RecordingReader } from '../modules/recordings/recording-reader';

export interface AnalyzeOptions {
  json?: boolean;
  userAgent?: string;
  locale?: string;
  timezone?: string;
}

/** `repro analyze <file>`: needs no database, so it loads no more than the analyzer. */
export async function analyzeCommand(
  file: string,
  options: AnalyzeOptions,
  io: CliIo,
): Promise<void> {
  const analysis = await analyzeFile(file, {
    userAgent: options.userAgent,
    locale: options.locale,
    timezone: options.timezone,
  });
  io.out(options.json ? `${JSON.stringify(analysis, null, 2)}\n` : analysisMarkdown(analysis));
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

import { RecordingAnalyzer } from './analyzer/analyzer';
import type { AnalyzerContext, RecordingAnalysis } from './analyzer/types';
import { RecordingReader } from './recording-reader';

export interface AnalysisJob {
  /** gzip chunks in sequence order. */
  chunks: Uint8Array[];
  context: AnalyzerContext;
  /** Sequence numbers, to name the gaps of a chunked upload. */
  seqs: number[];
}

/** Runs in a worker thread (a piscina pool): decompress, parse and analyse off the worker's event loop. */
export async function analyzeChunks(job: AnalysisJob): Promise<RecordingAnalysis> {
  const reader = new RecordingReader();
  const analyzer = new RecordingAnalyzer(job.context);
  for (const chunk of job.chunks) {
    for await (const batch of reader.batchesOfBuffer(
      Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
    )) {
      for (const event of batch) analyzer.push(event);
    }
  }
  const analysis = analyzer.finish();
  analysis.stats.bytes = reader.bytes;
  const missing = job.seqs.length ? job.seqs[job.seqs.length - 1] + 1 - job.seqs.length : 0;
  if (missing > 0)
    analysis.uninterpreted.push({
      what: 'chunks never uploaded (gaps in the sequence)',
      count: missing,
    });
  if (reader.problems.truncated)
    analysis.uninterpreted.push({ what: 'a chunk cut off before its end', count: 1 });
  if (reader.problems.malformed)
    analysis.uninterpreted.push({
      what: 'elements that were not JSON',
      count: reader.problems.malformed,
    });
  return analysis;
}

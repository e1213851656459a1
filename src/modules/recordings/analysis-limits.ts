import type { ResourceLimits } from 'node:worker_threads';
import type { AppConfig } from '../../config/config.schema';

const MB = 1024 * 1024;
/** The most heap JSON.parse builds per byte of text: `{},` is 3 bytes and a 56-byte object. */
const PARSE_EXPANSION = 32;

/**
 * V8's limits for the analysis thread. Left to itself on a machine with memory to spare, V8
 * lets a heap grow to four times what was live at its last collection; with a cap under 2 GB it
 * grows by about 1.4 times, and collects more often (a 112 MB recording of DOM bursts peaked at
 * 350 MB RSS without a cap, about 265 MB with one, for about a quarter more CPU time). The cap
 * leaves room for one JSON.parse of the largest event a recording can hold (a report's inline
 * events, or one chunk, at most the whole recording) at its worst expansion: V8 cannot stop a
 * thread inside JSON.parse, and an allocation there past the cap ends the whole process, not
 * just the thread. Past the cap elsewhere, the thread stops and the recording is unusable, as
 * when it runs out of time. The young generation keeps V8's size: 24 MB instead of 48 saved
 * 15 MB on the bursts and cost 3 to 5% more CPU time, copying the big events JSON.parse builds.
 */
export function analysisThreadLimits(
  config: Pick<
    AppConfig,
    | 'RECORDING_MAX_INFLATED_BYTES'
    | 'RECORDING_CHUNK_MAX_INFLATED_BYTES'
    | 'REPORT_BODY_LIMIT_BYTES'
  >,
): ResourceLimits {
  const largestEvent = Math.min(
    config.RECORDING_MAX_INFLATED_BYTES,
    Math.max(config.REPORT_BODY_LIMIT_BYTES, config.RECORDING_CHUNK_MAX_INFLATED_BYTES),
  );
  return {
    maxOldGenerationSizeMb: Math.max(512, Math.ceil((PARSE_EXPANSION * largestEvent) / MB)),
  };
}

import type { ResourceLimits } from 'node:worker_threads';

const MB = 1024 * 1024;

/**
 * V8's limits for the analysis thread, given the largest recording it may be handed. Left to
 * itself on a machine with memory to spare, V8 lets a heap grow to four times what was live at
 * the last collection; capped, it grows by less than half as much (a 112 MB recording of DOM
 * bursts peaked at 370 MB RSS, 270 MB capped). The cap leaves room for the worst recording
 * allowed: one full snapshot of a million nodes, 100 MB, analyses under 512 MB. Past the cap
 * the thread stops and the recording is unusable, as when it runs out of time. A young
 * generation of 24 MB instead of 48 saves its size and costs no measurable time.
 */
export function analysisThreadLimits(maxRecordingBytes: number): ResourceLimits {
  return {
    maxOldGenerationSizeMb: Math.max(512, Math.ceil((5 * maxRecordingBytes) / MB)),
    maxYoungGenerationSizeMb: 24,
  };
}

import { loadConfig } from '../../config/config.schema';
import { analysisThreadLimits } from './analysis-limits';

const MB = 1024 * 1024;
const config = (env: Record<string, string> = {}) =>
  loadConfig({ DATABASE_URL: 'postgres://db/repro', REDIS_URL: 'redis://cache:6379', ...env });

describe('analysis thread limits', () => {
  it('cap the heap under 2 GB (from there V8 lets it grow fourfold), with room for one parse of the largest event a recording can hold', () => {
    // Defaults: a report's inline events (20 MB) are the largest single event; `{},` × 20 MB
    // parses into about 380 MB of heap, and V8 cannot stop a thread inside JSON.parse.
    const limits = analysisThreadLimits(config());
    expect(limits.maxOldGenerationSizeMb).toBeGreaterThanOrEqual(20 * 20);
    expect(limits.maxOldGenerationSizeMb).toBeLessThan(2048);
  });

  it('grow with the largest event the configuration allows, never past the whole recording', () => {
    const bigBodies = analysisThreadLimits(config({ REPORT_BODY_LIMIT_BYTES: String(200 * MB) }));
    // The whole recording (100 MB by default) is the largest an event can be.
    expect(bigBodies.maxOldGenerationSizeMb).toBeGreaterThanOrEqual(20 * 100);
    expect(bigBodies.maxOldGenerationSizeMb).toBeLessThanOrEqual(40 * 100);
    const bigChunks = analysisThreadLimits(
      config({
        RECORDING_CHUNK_MAX_INFLATED_BYTES: String(64 * MB),
        RECORDING_MAX_INFLATED_BYTES: String(64 * MB),
      }),
    );
    expect(bigChunks.maxOldGenerationSizeMb).toBeGreaterThanOrEqual(20 * 64);
  });
});

import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { extname, join } from 'node:path';
import { Piscina } from 'piscina';
import { DataSource } from 'typeorm';
import { storable } from '../../common/storable-text';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import type { AnalyzerContext, RecordingAnalysis } from './analyzer/types';
import { analysisThreadLimits } from './analysis-limits';
import type { AnalysisJob } from './analysis.worker';
import { Recording } from './entities/recording.entity';
import { isDataError, RecordingsService } from './recordings.service';

const WORKER_FILE = join(__dirname, `analysis.worker${extname(__filename)}`);

/**
 * The recording cannot be analysed (the analyzer threw, ran out of time, or its result cannot be
 * stored): a property of the recording, not a passing fault, so it is marked unusable and the
 * pipeline goes on without it. A database or Redis outage is not this; it is thrown as it is.
 */
export class AnalysisFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnalysisFailedError';
  }
}

/** Analyses a report's recording in a worker thread and stores the result with the report. */
@Injectable()
export class RecordingAnalysisService implements OnModuleDestroy {
  private readonly logger = new Logger(RecordingAnalysisService.name);
  private pool?: Piscina;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
    private readonly recordings: RecordingsService,
  ) {}

  /**
   * Null when the report has no recording to analyse (none, refused, or no chunks arrived). The
   * analysis returned is the one stored, its text made storable. Throws AnalysisFailedError when
   * the recording is unusable (marked so, with the reason, the first time).
   */
  async analyze(
    reportId: string,
    projectId: string,
    context: AnalyzerContext,
  ): Promise<RecordingAnalysis | null> {
    // Without a previous delivery's analysis: only what decides whether to analyse.
    const recording = await this.db.getRepository(Recording).findOne({
      select: { id: true, status: true, refusedReason: true, sessionId: true },
      where: { reportId },
    });
    if (!recording || recording.status === 'refused') return null;
    if (recording.status === 'unusable')
      throw new AnalysisFailedError(recording.refusedReason ?? 'unusable');
    const rows = await this.recordings.chunksForAnalysis(projectId, recording.sessionId);
    if (!rows.length) return null;
    let analysis: RecordingAnalysis;
    try {
      analysis = storable(
        await this.runInWorker({
          chunks: rows.map((r) => r.dataGz),
          seqs: rows.map((r) => r.seq),
          context,
        }),
      );
      await this.recordings.saveAnalysis(reportId, analysis);
    } catch (error) {
      const reason =
        error instanceof AnalysisFailedError
          ? error.message
          : isDataError(error)
            ? `its analysis could not be stored: ${(error as Error).message}`
            : null;
      if (reason === null) throw error;
      this.logger.warn({ reportId, reason }, 'Recording unusable; going on without it');
      await this.recordings.markUnusable(reportId, reason);
      throw new AnalysisFailedError(reason);
    }
    return analysis;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.destroy();
  }

  private async runInWorker(job: AnalysisJob): Promise<RecordingAnalysis> {
    // One long-lived thread: the analyzer stays compiled and warm between reports.
    this.pool ??= new Piscina({
      filename: WORKER_FILE,
      name: 'analyzeChunks',
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: 60_000,
      // From the TypeScript sources (tests, `start:dev`) the thread needs the same loader.
      execArgv: WORKER_FILE.endsWith('.ts') ? ['-r', '@swc-node/register'] : [],
      resourceLimits: analysisThreadLimits(this.config),
    });
    // Bounds a pathological recording; past it, the recording is unusable and the report goes on.
    const timeoutMs = this.config.RECORDING_ANALYSIS_TIMEOUT_MS;
    try {
      return (await this.pool.run(job, {
        signal: AbortSignal.timeout(timeoutMs),
      })) as RecordingAnalysis;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new AnalysisFailedError(
        message.includes('abort')
          ? `its analysis took over ${timeoutMs} ms`
          : `the analyzer failed on it: ${message}`,
      );
    }
  }
}

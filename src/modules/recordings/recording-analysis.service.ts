import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { extname, join } from 'node:path';
import { Piscina } from 'piscina';
import { DataSource } from 'typeorm';
import type { AnalyzerContext, RecordingAnalysis } from './analyzer/types';
import type { AnalysisJob } from './analysis.worker';
import { RecordingChunk } from './entities/recording-chunk.entity';
import { Recording } from './entities/recording.entity';
import { RecordingsService } from './recordings.service';

const WORKER_FILE = join(__dirname, `analysis.worker${extname(__filename)}`);
/** Bounds a pathological recording; the stage retries, then goes on without the analysis. */
const ANALYSIS_TIMEOUT_MS = 120_000;

/** The analysis thread failed or ran out of time; the pipeline goes on without it. */
export class AnalysisFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnalysisFailedError';
  }
}

/** Analyses a report's recording in a worker thread and stores the result with the report. */
@Injectable()
export class RecordingAnalysisService implements OnModuleDestroy {
  private pool?: Piscina;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly recordings: RecordingsService,
  ) {}

  /** Null when the report has no recording to analyse (none, refused, or no chunks arrived). */
  async analyze(
    reportId: string,
    projectId: string,
    context: AnalyzerContext,
  ): Promise<RecordingAnalysis | null> {
    const recording = await this.db.getRepository(Recording).findOneBy({ reportId });
    if (!recording || recording.status === 'refused') return null;
    const rows = await this.db.getRepository(RecordingChunk).find({
      where: { projectId, sessionId: recording.sessionId },
      select: { id: true, seq: true, dataGz: true },
      order: { seq: 'ASC' },
    });
    if (!rows.length) return null;
    const analysis = await this.runInWorker({
      chunks: rows.map((r) => r.dataGz),
      seqs: rows.map((r) => r.seq),
      context,
    });
    await this.recordings.saveAnalysis(reportId, analysis);
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
    });
    try {
      return (await this.pool.run(job, {
        signal: AbortSignal.timeout(ANALYSIS_TIMEOUT_MS),
      })) as RecordingAnalysis;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new AnalysisFailedError(
        message.includes('abort') ? `took over ${ANALYSIS_TIMEOUT_MS} ms` : message,
      );
    }
  }
}

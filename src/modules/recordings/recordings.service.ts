import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { DataSource, type EntityManager, In, Not, QueryFailedError } from 'typeorm';
import {
  DomainError,
  ErrorCode,
  type FieldProblem,
  ValidationFailedError,
} from '../../common/errors';
import { storable, storableText } from '../../common/storable-text';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { ReportsService } from '../reports/reports.service';
import type { FailedRequest, RecordedError, RecordingAnalysis, Step } from './analyzer/types';
import { ChunkNotEventsError, ChunkOverLimitError, ingestChunk } from './chunk-ingest';
import { RecordingChunk } from './entities/recording-chunk.entity';
import { RecordingSession } from './entities/recording-session.entity';
import { Recording, type RecordingStatus } from './entities/recording.entity';
import { timestampProblem } from './event-time';
import { RecordingReader } from './recording-reader';

const gzipAsync = promisify(gzip);

export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;
export const MAX_SEQ = 1_000_000;

export interface RecordingSummary {
  status: RecordingStatus;
  refusedReason: string | null;
  eventCount: number;
  durationMs: number;
  byteSize: number;
  analyzed: boolean;
}

export interface ChunkResult {
  sessionId: string;
  seq: number;
  events: number;
  bytes: number;
  compressedBytes: number;
  /** True when this (session, seq) was already stored with the same content. */
  duplicate: boolean;
}

function durationOf(events: unknown[]): number {
  let first = Infinity;
  let last = -Infinity;
  for (const event of events) {
    const t = (event as { timestamp?: unknown } | null)?.timestamp;
    if (typeof t !== 'number' || !Number.isFinite(t)) continue;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  // Clamped: a recording's clock can be wildly wrong, the column cannot be.
  return Number.isFinite(first) ? Math.min(Math.round(last - first), 2 ** 31 - 1) : 0;
}

/** At most this many bad timestamps are named in one answer. */
const MAX_FIELD_PROBLEMS = 10;
const MAX_REASON_CHARS = 300;

/** Inline events whose timestamp no clock wrote, named as `events[i].timestamp`. */
function timestampProblems(events: unknown[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (let i = 0; i < events.length && problems.length < MAX_FIELD_PROBLEMS; i++) {
    const event = events[i];
    // An event without a timestamp is only skipped by the analyzer; a wrong one misleads it.
    if (typeof event !== 'object' || event === null || !('timestamp' in event)) continue;
    const message = timestampProblem(event.timestamp);
    if (message) problems.push({ field: `events[${i}].timestamp`, message });
  }
  return problems;
}

/** An integer column's value: whole, and within PostgreSQL's integer. */
function toInteger(value: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.min(Math.round(value), 2 ** 31 - 1)) : 0;
}

/**
 * A query PostgreSQL refused because of the values in it (text it cannot store, a number out
 * of range, a value over a size limit): a property of the data, which a retry cannot change.
 */
export function isDataError(error: unknown): boolean {
  const code = (error as { driverError?: { code?: unknown } }).driverError?.code;
  return error instanceof QueryFailedError && typeof code === 'string' && /^(22|54)/.test(code);
}

/** Compressed bytes of stored chunks read per query. */
const READ_PAGE_BYTES = 4 * 1024 * 1024;

/** Chunk ids in pages of at most READ_PAGE_BYTES compressed (a larger chunk is a page alone). */
function pagesOf(chunks: { id: string; compressedSize: number }[]): string[][] {
  const pages: string[][] = [];
  let page: string[] = [];
  let bytes = 0;
  for (const { id, compressedSize } of chunks) {
    if (page.length && bytes + compressedSize > READ_PAGE_BYTES) {
      pages.push(page);
      page = [];
      bytes = 0;
    }
    page.push(id);
    bytes += compressedSize;
  }
  if (page.length) pages.push(page);
  return pages;
}

function refused(limit: 'compressed' | 'inflated', limitBytes: number): string {
  return `over the ${limit} size limit of ${limitBytes} bytes`;
}

/** The most steps, errors and failed requests a report's view lists. */
const FINDINGS_MAX = 100;

/** A recording's findings as GET /v1/reports/:id shows them. */
export interface RecordingFindings {
  steps: Pick<Step, 'n' | 't' | 'text'>[];
  errors: Pick<RecordedError, 't' | 'level' | 'message' | 'uncaught' | 'stack'>[];
  failedRequests: Pick<FailedRequest, 't' | 'method' | 'url' | 'status' | 'durationMs' | 'error'>[];
}

/** How long a purge of unclaimed sessions waits for a lock before it gives way. */
const PURGE_LOCK_TIMEOUT_MS = 2_000;

/** A session may begin this long after the mail that takes it (the browser's and mail's clocks). */
const SESSION_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Recordings arrive inline with a report or as a stream of chunks under a session id; both are
 * stored as gzip chunks and read back in sequence order. Limits hold per recording.
 */
@Injectable()
export class RecordingsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
    private readonly reports: ReportsService,
  ) {}

  /** Events sent inline with a report, inside the intake transaction. Over a limit, refused. */
  async storeInline(
    manager: EntityManager,
    projectId: string,
    reportId: string,
    events: unknown[],
  ): Promise<RecordingStatus> {
    const problems = timestampProblems(events);
    if (problems.length) throw new ValidationFailedError(problems);
    const sessionId = reportId;
    const json = Buffer.from(JSON.stringify(events));
    const gz =
      json.length <= this.config.RECORDING_MAX_INFLATED_BYTES ? await gzipAsync(json) : null;
    const reason =
      gz === null
        ? refused('inflated', this.config.RECORDING_MAX_INFLATED_BYTES)
        : gz.length > this.config.RECORDING_MAX_COMPRESSED_BYTES
          ? refused('compressed', this.config.RECORDING_MAX_COMPRESSED_BYTES)
          : null;
    await manager.insert(RecordingSession, {
      projectId,
      sessionId,
      compressedBytes: String(reason ? 0 : gz!.length),
      inflatedBytes: String(reason ? 0 : json.length),
      chunkCount: reason ? 0 : 1,
      refusedReason: reason,
    });
    if (!reason) {
      await manager.insert(RecordingChunk, {
        projectId,
        sessionId,
        seq: 0,
        dataGz: gz!,
        compressedSize: gz!.length,
        byteSize: json.length,
        eventCount: events.length,
        contentHash: '',
      });
    }
    const status: RecordingStatus = reason ? 'refused' : 'stored';
    await manager.insert(Recording, {
      reportId,
      sessionId,
      status,
      refusedReason: reason,
      byteSize: String(json.length),
      compressedSize: String(gz?.length ?? 0),
      eventCount: events.length,
      durationMs: reason ? 0 : durationOf(events),
    });
    return status;
  }

  /** A report naming a chunked session: links them, whether the chunks came first or not. */
  async linkSession(
    manager: EntityManager,
    projectId: string,
    reportId: string,
    sessionId: string,
  ): Promise<RecordingStatus> {
    const session = await this.openSession(manager, projectId, sessionId);
    const status: RecordingStatus = session.refusedReason
      ? 'refused'
      : session.chunkCount > 0
        ? 'stored'
        : 'pending';
    await manager.insert(Recording, {
      reportId,
      sessionId,
      status,
      refusedReason: session.refusedReason,
      byteSize: session.inflatedBytes,
      compressedSize: session.compressedBytes,
    });
    return status;
  }

  /**
   * `PUT /v1/recordings/:sessionId`: names the person a streamed session records, so a mail from
   * that address can later take the session as its evidence. Creates the session if need be.
   */
  async identifySession(
    projectId: string,
    sessionId: string,
    who: { email?: string | null; externalId?: string | null },
  ): Promise<{ sessionId: string; chunks: number }> {
    const session = await this.openSession(this.db.manager, projectId, sessionId);
    await this.db.getRepository(RecordingSession).update(
      { id: session.id },
      {
        reporterEmail: who.email?.trim().toLowerCase() || null,
        reporterExternalId: who.externalId?.trim() || null,
      },
    );
    return { sessionId, chunks: session.chunkCount };
  }

  /**
   * The newest streamed session recorded for this address around `at` (when a mail was sent):
   * begun before it (give or take the clocks' skew), still recording within `windowMs` before
   * it, holding chunks, not refused, and not yet any report's recording.
   */
  async recentSessionOf(
    projectId: string,
    email: string,
    at: Date,
    windowMs: number,
  ): Promise<RecordingSession | null> {
    return (
      this.db
        .getRepository(RecordingSession)
        .createQueryBuilder('s')
        .where('s.project_id = :projectId AND s.reporter_email = :email', {
          projectId,
          email: email.trim().toLowerCase(),
        })
        .andWhere('s.chunk_count > 0 AND s.refused_reason IS NULL')
        .andWhere('s.updated_at >= :from AND s.created_at <= :until', {
          from: new Date(at.getTime() - windowMs),
          until: new Date(at.getTime() + SESSION_CLOCK_SKEW_MS),
        })
        // Taken by any report (a session id another project also used counts too: it is rare,
        // and a session is never given to two reports).
        .andWhere('NOT EXISTS (SELECT 1 FROM recordings r WHERE r.session_id = s.session_id)')
        .orderBy('s.updated_at', 'DESC')
        .limit(1)
        .getOne()
    );
  }

  /**
   * Deletes streamed sessions no report took and nothing was added to since `before`, with
   * their chunks, at most `batch` at a time (the rows are skipped if another run holds them).
   */
  async purgeUnclaimedSessions(before: Date, batch: number): Promise<number> {
    return this.db.transaction(async (manager) => {
      // The purge waits for no lock: the maintenance queue's other jobs (the reconciler) must
      // not queue behind it. A busy table fails it with 55P03; the next run tries again.
      await manager.query(`SET LOCAL lock_timeout = '${PURGE_LOCK_TIMEOUT_MS}ms'`);
      // TypeORM answers a DELETE with [rows, affected].
      const [, purged] = await manager.query<[unknown[], number]>(
        `WITH doomed AS (
         SELECT s.id, s.project_id, s.session_id FROM recording_sessions s
          WHERE s.updated_at < $1
            AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.session_id = s.session_id)
          ORDER BY s.updated_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ), chunks AS (
         DELETE FROM recording_chunks c USING doomed d
          WHERE c.project_id = d.project_id AND c.session_id = d.session_id
       )
       DELETE FROM recording_sessions s USING doomed d WHERE s.id = d.id`,
        [before, batch],
      );
      return purged;
    });
  }

  /** `POST /v1/recordings/:sessionId/chunks?seq=N`: idempotent per (session, seq). */
  async addChunk(
    projectId: string,
    sessionId: string,
    seq: number,
    body: AsyncIterable<Buffer>,
    gzipped: boolean,
  ): Promise<ChunkResult> {
    if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) {
      throw new ValidationFailedError([
        { field: 'seq', message: `must be a whole number from 0 to ${MAX_SEQ}` },
      ]);
    }
    const session = await this.openSession(this.db.manager, projectId, sessionId);
    if (session.refusedReason) throw this.refusedError(session.refusedReason);

    const existing = await this.db.getRepository(RecordingChunk).findOne({
      where: { projectId, sessionId, seq },
      select: {
        id: true,
        contentHash: true,
        byteSize: true,
        compressedSize: true,
        eventCount: true,
      },
    });
    // Refused before the body is read; a retry of a stored chunk is still answered as one.
    if (!existing && (await this.analysedOn(this.db.manager, projectId, sessionId)))
      throw this.closedError();
    const maxCompressed = this.config.RECORDING_MAX_COMPRESSED_BYTES;
    const maxInflated = this.config.RECORDING_MAX_INFLATED_BYTES;
    // A retry of a stored chunk is read in full only to compare it; it adds nothing.
    const budget = existing
      ? { compressed: maxCompressed, inflated: maxInflated }
      : {
          compressed: maxCompressed - Number(session.compressedBytes),
          inflated: maxInflated - Number(session.inflatedBytes),
        };

    let chunk;
    try {
      chunk = await ingestChunk(body, gzipped, budget);
    } catch (error) {
      if (error instanceof ChunkOverLimitError) {
        const reason = refused(
          error.limit,
          error.limit === 'compressed' ? maxCompressed : maxInflated,
        );
        if (!existing) await this.refuse(projectId, sessionId, reason);
        throw this.refusedError(
          reason,
          error.limit,
          error.limit === 'compressed' ? maxCompressed : maxInflated,
        );
      }
      if (error instanceof ChunkNotEventsError) {
        const field = error.field ? `body${error.field}` : 'body';
        throw new ValidationFailedError([{ field, message: error.message }]);
      }
      throw error;
    }
    const result = {
      sessionId,
      seq,
      events: chunk.events,
      bytes: chunk.inflatedBytes,
      compressedBytes: chunk.gz.length,
    };
    if (existing) return this.compareRetry(existing.contentHash, chunk.contentHash, result);

    return this.db.transaction(async (manager) => {
      const locked = await manager
        .getRepository(RecordingSession)
        .createQueryBuilder('s')
        .setLock('pessimistic_write')
        .where('s.project_id = :projectId AND s.session_id = :sessionId', { projectId, sessionId })
        .getOneOrFail();
      if (locked.refusedReason) throw this.refusedError(locked.refusedReason);
      // Under the session's lock, which the analysis takes to read the chunks: a chunk is either
      // in what a report was analysed on, or refused.
      if (await this.analysedOn(manager, projectId, sessionId)) {
        const other = await manager.findOne(RecordingChunk, {
          where: { projectId, sessionId, seq },
          select: { id: true, contentHash: true },
        });
        if (!other) throw this.closedError();
        return this.compareRetry(other.contentHash, chunk.contentHash, result);
      }
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(RecordingChunk)
        .values({
          projectId,
          sessionId,
          seq,
          dataGz: chunk.gz,
          compressedSize: chunk.gz.length,
          byteSize: chunk.inflatedBytes,
          eventCount: chunk.events,
          contentHash: chunk.contentHash,
        })
        .orIgnore()
        .returning(['id'])
        .execute();
      if (!(inserted.raw as unknown[]).length) {
        // The same (session, seq) was stored by a concurrent request.
        const other = await manager.findOneOrFail(RecordingChunk, {
          where: { projectId, sessionId, seq },
          select: { id: true, contentHash: true },
        });
        return this.compareRetry(other.contentHash, chunk.contentHash, result);
      }
      const compressed = Number(locked.compressedBytes) + chunk.gz.length;
      const inflated = Number(locked.inflatedBytes) + chunk.inflatedBytes;
      // Concurrent chunks each fit their own budget; together they must fit too.
      const over =
        compressed > maxCompressed ? 'compressed' : inflated > maxInflated ? 'inflated' : null;
      if (over) {
        const limitBytes = over === 'compressed' ? maxCompressed : maxInflated;
        throw this.refusedError(refused(over, limitBytes), over, limitBytes);
      }
      await manager.update(
        RecordingSession,
        { id: locked.id },
        {
          compressedBytes: String(compressed),
          inflatedBytes: String(inflated),
          chunkCount: locked.chunkCount + 1,
        },
      );
      const reportIds = await this.sessionReports(manager, projectId, sessionId);
      if (reportIds.length) {
        await manager.update(
          Recording,
          { reportId: In(reportIds), sessionId, status: Not('refused') },
          { status: 'stored', byteSize: String(inflated), compressedSize: String(compressed) },
        );
      }
      return { ...result, duplicate: false };
    });
  }

  /**
   * The session's events, chunk by chunk in sequence order. Chunks are fetched a page at a time
   * (up to READ_PAGE_BYTES compressed, at least one chunk): one query per chunk made a 5,000-chunk
   * session take seconds of round trips. Each stored chunk is inflated and parsed whole.
   */
  async *eventBatches(
    projectId: string,
    sessionId: string,
    reader = new RecordingReader(),
  ): AsyncGenerator<unknown[]> {
    const chunks = await this.db.getRepository(RecordingChunk).find({
      where: { projectId, sessionId },
      select: { id: true, seq: true, compressedSize: true },
      order: { seq: 'ASC' },
    });
    for (const page of pagesOf(chunks)) {
      const rows = await this.db.getRepository(RecordingChunk).find({
        where: { id: In(page) },
        select: { id: true, seq: true, dataGz: true },
        order: { seq: 'ASC' },
      });
      for (const row of rows) yield* reader.batchesOfBuffer(row.dataGz);
    }
  }

  /**
   * The session's stored chunks in sequence order, read under a share lock on the session row:
   * a chunk being added waits, or waits for this read, so none slips in unseen (see addChunk).
   */
  async chunksForAnalysis(
    projectId: string,
    sessionId: string,
  ): Promise<Pick<RecordingChunk, 'id' | 'seq' | 'dataGz'>[]> {
    return this.db.transaction(async (manager) => {
      await manager
        .getRepository(RecordingSession)
        .createQueryBuilder('s')
        .setLock('pessimistic_read')
        .where('s.project_id = :projectId AND s.session_id = :sessionId', { projectId, sessionId })
        .getOne();
      return manager.getRepository(RecordingChunk).find({
        where: { projectId, sessionId },
        select: { id: true, seq: true, dataGz: true },
        order: { seq: 'ASC' },
      });
    });
  }

  /**
   * The recording is kept but cannot be analysed (the reason says why, in a line); the report
   * goes on without it, and a later delivery of the stage does not try again.
   */
  async markUnusable(reportId: string, reason: string): Promise<void> {
    await this.db.getRepository(Recording).update(
      { reportId, status: Not('refused') },
      {
        status: 'unusable',
        refusedReason: storableText(reason).slice(0, MAX_REASON_CHARS),
        analysis: null,
        analyzedAt: null,
      },
    );
  }

  async findForReport(reportId: string): Promise<Recording | null> {
    return this.db.getRepository(Recording).findOneBy({ reportId });
  }

  /**
   * What the analysis found that a person reads beside the replay: its steps, errors and failed
   * requests, the first FINDINGS_MAX of each (read out of the analysis JSON, not all of it).
   */
  async findings(reportId: string): Promise<RecordingFindings | null> {
    const rows = await this.db.query<
      { steps: Step[] | null; errors: RecordedError[] | null; failed: FailedRequest[] | null }[]
    >(
      `SELECT analysis->'steps' AS steps, analysis->'errors' AS errors,
              analysis->'failedRequests' AS failed
         FROM recordings WHERE report_id = $1 AND analysis IS NOT NULL`,
      [reportId],
    );
    const row = rows[0];
    if (!row) return null;
    const first = <T>(list: T[] | null): T[] =>
      (Array.isArray(list) ? list : []).slice(0, FINDINGS_MAX);
    return {
      steps: first(row.steps).map((s) => ({ n: s.n, t: s.t, text: s.text })),
      errors: first(row.errors).map((e) => ({
        t: e.t,
        level: e.level,
        message: e.message,
        uncaught: e.uncaught,
        stack: (e.stack ?? []).slice(0, 5),
      })),
      failedRequests: first(row.failed).map((r) => ({
        t: r.t,
        method: r.method,
        url: r.url,
        status: r.status,
        durationMs: r.durationMs,
        ...(r.error ? { error: r.error } : {}),
      })),
    };
  }

  async summary(reportId: string): Promise<RecordingSummary | null> {
    // Without the analysis, whose JSON can be large and is not shown here.
    const row = await this.db.getRepository(Recording).findOne({
      select: {
        id: true,
        status: true,
        refusedReason: true,
        eventCount: true,
        durationMs: true,
        byteSize: true,
        analyzedAt: true,
      },
      where: { reportId },
    });
    if (!row) return null;
    return {
      status: row.status,
      refusedReason: row.refusedReason,
      eventCount: row.eventCount,
      durationMs: row.durationMs,
      byteSize: Number(row.byteSize),
      analyzed: row.analyzedAt !== null,
    };
  }

  async saveAnalysis(reportId: string, analysis: RecordingAnalysis): Promise<void> {
    await this.db.getRepository(Recording).update(
      { reportId },
      {
        analysis: storable(analysis),
        analyzedAt: new Date(),
        eventCount: toInteger(analysis.stats.events),
        durationMs: toInteger(analysis.stats.ms),
        byteSize: String(Math.max(0, Math.round(analysis.stats.bytes) || 0)),
      },
    );
  }

  /** The reports of this project that name this session (a session id is unique per project). */
  private async sessionReports(
    manager: EntityManager,
    projectId: string,
    sessionId: string,
  ): Promise<string[]> {
    const linked = await manager
      .getRepository(Recording)
      .find({ select: { id: true, reportId: true }, where: { sessionId } });
    return this.reports.idsInProject(
      projectId,
      linked.map((r) => r.reportId),
      manager,
    );
  }

  /**
   * True once a report naming the session has moved on from `received`: it was analysed on the
   * chunks it had, so a later chunk would be stored for nothing. An inline recording (its
   * session is its report's id) is whole when the report is accepted.
   */
  private async analysedOn(
    manager: EntityManager,
    projectId: string,
    sessionId: string,
  ): Promise<boolean> {
    const reportIds = await this.sessionReports(manager, projectId, sessionId);
    if (reportIds.includes(sessionId)) return true;
    const reports = await this.reports.statuses(reportIds, manager);
    return reports.some((r) => r.status !== 'received');
  }

  private closedError(): DomainError {
    return new DomainError(
      409,
      ErrorCode.RecordingClosed,
      'A report naming this session was already analysed on the chunks it had; this chunk was not stored. Record a new session for a new report.',
      { field: 'sessionId' },
    );
  }

  /** The session row, created on first mention; the id is checked before anything is stored. */
  private async openSession(
    manager: EntityManager,
    projectId: string,
    sessionId: string,
  ): Promise<RecordingSession> {
    if (!SESSION_ID_PATTERN.test(sessionId)) {
      throw new ValidationFailedError([
        { field: 'sessionId', message: 'must be 8-128 letters, digits, - or _' },
      ]);
    }
    await manager
      .createQueryBuilder()
      .insert()
      .into(RecordingSession)
      .values({ projectId, sessionId })
      .orIgnore()
      .execute();
    return manager.findOneByOrFail(RecordingSession, { projectId, sessionId });
  }

  private compareRetry(
    storedHash: string,
    hash: string,
    result: Omit<ChunkResult, 'duplicate'>,
  ): ChunkResult {
    if (storedHash !== hash) {
      throw new DomainError(
        409,
        ErrorCode.ChunkConflict,
        `Chunk ${result.seq} of this session was already stored with different content.`,
        {
          field: 'seq',
        },
      );
    }
    return { ...result, duplicate: true };
  }

  private async refuse(projectId: string, sessionId: string, reason: string): Promise<void> {
    await this.db
      .getRepository(RecordingSession)
      .update({ projectId, sessionId }, { refusedReason: reason });
    const reportIds = await this.sessionReports(this.db.manager, projectId, sessionId);
    if (reportIds.length) {
      await this.db
        .getRepository(Recording)
        .update(
          { reportId: In(reportIds), sessionId },
          { status: 'refused', refusedReason: reason },
        );
    }
  }

  private refusedError(reason: string, limit?: string, limitBytes?: number): DomainError {
    return new DomainError(413, ErrorCode.PayloadTooLarge, `Recording refused: ${reason}.`, {
      field: 'body',
      reason,
      ...(limit ? { limit, limitBytes } : {}),
    });
  }
}

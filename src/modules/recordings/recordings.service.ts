import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { DataSource, type EntityManager } from 'typeorm';
import { Recording } from './entities/recording.entity';

const gzipAsync = promisify(gzip);

export interface RecordingSummary {
  eventCount: number;
  durationMs: number;
  byteSize: number;
}

function timestampOf(event: unknown): number | null {
  const t = (event as { timestamp?: unknown } | null)?.timestamp;
  return typeof t === 'number' && Number.isFinite(t) ? t : null;
}

@Injectable()
export class RecordingsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Compresses and stores rrweb events for a report, inside the caller's transaction. */
  async storeInline(
    manager: EntityManager,
    reportId: string,
    events: unknown[],
  ): Promise<RecordingSummary> {
    const json = Buffer.from(JSON.stringify(events));
    const compressed = await gzipAsync(json);
    let first = Infinity;
    let last = -Infinity;
    for (const event of events) {
      const t = timestampOf(event);
      if (t === null) continue;
      first = Math.min(first, t);
      last = Math.max(last, t);
    }
    const summary: RecordingSummary = {
      eventCount: events.length,
      durationMs: Number.isFinite(first) ? Math.round(last - first) : 0,
      byteSize: json.length,
    };
    await manager.insert(Recording, {
      reportId,
      eventsGz: compressed,
      compressedSize: compressed.length,
      ...summary,
    });
    return summary;
  }

  async summary(reportId: string): Promise<RecordingSummary | null> {
    const row = await this.db.getRepository(Recording).findOne({
      where: { reportId },
      select: { eventCount: true, durationMs: true, byteSize: true },
    });
    return row
      ? { eventCount: row.eventCount, durationMs: row.durationMs, byteSize: row.byteSize }
      : null;
  }
}

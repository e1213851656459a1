import { InjectQueue } from '@nestjs/bullmq';
import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { ProjectsService } from '../projects/projects.service';
import { Public } from '../../common/auth';
import { DomainError, ErrorCode } from '../../common/errors';
import { QueueName } from '../../queue/queue.constants';

/** How long a probe may take before its dependency counts as down: readiness answers fast. */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * 'ok', or what went wrong in a few words: an error code or a short message, never a connection
 * string (pg and ioredis messages name at most a host and port).
 */
async function check(probe: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
      PROBE_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch (error) {
    if (!(error instanceof Error)) return 'failed';
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectQueue(QueueName.Pipeline) private readonly queue: Queue,
    private readonly projects: ProjectsService,
  ) {}

  @Public()
  @Get('healthz')
  @ApiOperation({ summary: 'The process is alive' })
  healthz() {
    return { status: 'ok' };
  }

  @Public()
  @Get('readyz')
  @ApiOperation({ summary: 'PostgreSQL and Redis reachable, migrations applied' })
  async readyz() {
    const [postgres, redis] = await Promise.all([
      check(() => this.db.query('SELECT 1')),
      check(async () => ((await this.queue.client) as unknown as Redis).ping()),
    ]);
    const migrations =
      postgres === 'ok'
        ? await check(async () => {
            if (await this.db.showMigrations()) throw new Error('pending migrations');
          })
        : 'unknown (PostgreSQL is down)';
    const checks = { postgres, migrations, redis };
    // A destination refusing our credentials does not make this process unready, but says so.
    const misconfigured =
      postgres === 'ok' ? await this.projects.withTrackerErrors().catch(() => []) : [];
    const destinations = misconfigured.length
      ? misconfigured.map((p) => `${p.slug}: ${p.trackerError}`)
      : 'ok';
    if (Object.values(checks).every((c) => c === 'ok'))
      return { status: 'ready', checks, destinations };
    // Names what is down, e.g. "Not ready: redis down.", for people reading a probe's log.
    const down = Object.entries(checks)
      .filter(([, result]) => result !== 'ok')
      .map(([name]) => name);
    throw new DomainError(503, ErrorCode.Unavailable, `Not ready: ${down.join(', ')} down.`, {
      checks,
      down,
    });
  }
}

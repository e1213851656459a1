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

/** 'ok', or what went wrong. */
async function check(probe: () => Promise<unknown>): Promise<string> {
  try {
    await probe();
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : 'failed';
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
    const checks = {
      postgres: await check(() => this.db.query('SELECT 1')),
      migrations: await check(async () => {
        if (await this.db.showMigrations()) throw new Error('pending migrations');
      }),
      redis: await check(async () => ((await this.queue.client) as unknown as Redis).ping()),
    };
    // A destination refusing our credentials does not make this process unready, but says so.
    const misconfigured = await this.projects.withTrackerErrors().catch(() => []);
    const destinations = misconfigured.length
      ? misconfigured.map((p) => `${p.slug}: ${p.trackerError}`)
      : 'ok';
    if (Object.values(checks).every((c) => c === 'ok'))
      return { status: 'ready', checks, destinations };
    throw new DomainError(503, ErrorCode.Unavailable, 'Not ready.', { checks });
  }
}

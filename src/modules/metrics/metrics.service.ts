import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { QueueName } from '../../queue/queue.constants';
import { REPORT_STATUSES } from '../reports/report-state-machine';
import { ReportsService } from '../reports/reports.service';
import type { ScorecardWeek } from './scorecard';
import { ScorecardService } from './scorecard.service';

/** The scorecard's current week on /metrics: gauge name → the figure it shows. */
const SCORECARD_GAUGES: [string, string, keyof ScorecardWeek][] = [
  ['repro_scorecard_reports', 'Reports that arrived this week', 'reports'],
  [
    'repro_scorecard_autonomous_rate',
    "This week's reports filed or merged without a person (share)",
    'autonomousRate',
  ],
  [
    'repro_scorecard_handed_to_person_rate',
    "This week's reports handed to a person (share)",
    'handedToPersonRate',
  ],
  [
    'repro_scorecard_median_minutes_to_ticket',
    "Median minutes from a report's arrival to its ticket, this week's reports",
    'medianMinutesToTicket',
  ],
  [
    'repro_scorecard_questions_per_report',
    "The agent's questions per report, this week",
    'questionsPerReport',
  ],
  [
    'repro_scorecard_answered_rate',
    "This week's reports asked a question whose reporter answered (share)",
    'answeredRate',
  ],
  [
    'repro_scorecard_duplicates_merged',
    "This week's reports merged into an existing ticket",
    'duplicatesMerged',
  ],
  [
    'repro_scorecard_accounts_affected',
    "Distinct customer accounts among this week's reports",
    'accountsAffected',
  ],
];

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized'] as const;

/**
 * Prometheus metrics. Everything but HTTP latency is read from Redis and PostgreSQL at scrape
 * time, so any API process reports the same totals however many workers there are.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(
    reports: ReportsService,
    scorecard: ScorecardService,
    @InjectQueue(QueueName.Pipeline) pipeline: Queue,
    @InjectQueue(QueueName.Maintenance) maintenance: Queue,
  ) {
    const queues = [pipeline, maintenance];
    collectDefaultMetrics({ register: this.registry, prefix: 'repro_' });

    this.httpDuration = new Histogram({
      name: 'repro_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });

    new Gauge({
      name: 'repro_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const queue of queues) {
          const counts = await queue.getJobCounts(...QUEUE_STATES);
          for (const state of QUEUE_STATES)
            this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      },
    });

    const jobTotals = (name: string, help: string, type: 'completed' | 'failed') =>
      new Counter({
        name,
        help,
        labelNames: ['queue'],
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const queue of queues) {
            const metrics = await queue.getMetrics(type, 0, 0);
            this.inc({ queue: queue.name }, metrics.meta.count);
          }
        },
      });
    jobTotals('repro_jobs_completed_total', 'Jobs completed, across all workers', 'completed');
    jobTotals('repro_jobs_failed_total', 'Job attempts failed, across all workers', 'failed');

    new Gauge({
      name: 'repro_reports',
      help: 'Reports by status',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const byStatus = await reports.countByStatus();
        for (const status of REPORT_STATUSES) this.set({ status }, byStatus.get(status) ?? 0);
      },
    });

    // The current week (Monday 00:00 UTC on) per project, as GET /v1/scorecard shows it; a
    // measure without a value (no reports, no questions) is left out.
    for (const [name, help, figure] of SCORECARD_GAUGES) {
      new Gauge({
        name,
        help,
        labelNames: ['project'],
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const [project, week] of await scorecard.currentWeekByProject()) {
            const value = week[figure];
            if (typeof value === 'number') this.set({ project }, value);
          }
        },
      });
    }
  }

  /** Express middleware timing every request; unmatched paths share one label. */
  readonly httpMiddleware = (req: Request, res: Response, next: NextFunction): void => {
    const end = this.httpDuration.startTimer();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      end({
        method: req.method,
        route: route ? `${req.baseUrl}${route}` : 'unmatched',
        status: String(res.statusCode),
      });
    });
    next();
  };
}

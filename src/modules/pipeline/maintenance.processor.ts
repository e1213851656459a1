import { Injectable } from '@nestjs/common';
import { type Job, UnrecoverableError } from 'bullmq';
import { JobName } from '../../queue/queue.constants';
import { type ReconcileOutcome, ReconcilerService } from './reconciler.service';

@Injectable()
export class MaintenanceProcessor {
  constructor(private readonly reconciler: ReconcilerService) {}

  async process(job: Job): Promise<ReconcileOutcome> {
    switch (job.name) {
      case JobName.ReconcileReports:
        return this.reconciler.reconcile();
      default:
        throw new UnrecoverableError(`Unknown maintenance job ${job.name}`);
    }
  }
}

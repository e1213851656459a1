import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QueueName } from '../../queue/queue.constants';
import { ProjectsModule } from '../projects/projects.module';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { ScorecardController } from './scorecard.controller';
import { ScorecardService } from './scorecard.service';

@Module({
  imports: [
    BullModule.registerQueue({ name: QueueName.Pipeline }, { name: QueueName.Maintenance }),
    ProjectsModule,
  ],
  // The scorecard (GET /v1/scorecard) lives with the metrics that export its current week.
  controllers: [MetricsController, ScorecardController],
  providers: [MetricsService, ScorecardService],
  exports: [MetricsService],
})
export class MetricsModule {}

import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QueueName } from '../../queue/queue.constants';
import { PipelineService } from './pipeline.service';
import { ReconcilerService } from './reconciler.service';

@Module({
  imports: [
    BullModule.registerQueue({ name: QueueName.Pipeline }, { name: QueueName.Maintenance }),
  ],
  providers: [PipelineService, ReconcilerService],
  exports: [PipelineService, ReconcilerService, BullModule],
})
export class PipelineModule {}

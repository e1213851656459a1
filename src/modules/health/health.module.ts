import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QueueName } from '../../queue/queue.constants';
import { HealthController } from './health.controller';

@Module({
  imports: [BullModule.registerQueue({ name: QueueName.Pipeline })],
  controllers: [HealthController],
})
export class HealthModule {}

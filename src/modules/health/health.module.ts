import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QueueName } from '../../queue/queue.constants';
import { ProjectsModule } from '../projects/projects.module';
import { HealthController } from './health.controller';

@Module({
  imports: [BullModule.registerQueue({ name: QueueName.Pipeline }), ProjectsModule],
  controllers: [HealthController],
})
export class HealthModule {}

import { Module } from '@nestjs/common';
import { PipelineModule } from '../pipeline/pipeline.module';
import { ProjectsModule } from '../projects/projects.module';
import { TrackersModule } from '../trackers/trackers.module';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Linear and GitHub webhooks: signed, replay-safe updates of the tracker mirror and our tickets. */
@Module({
  imports: [PipelineModule, ProjectsModule, TrackersModule],
  controllers: [WebhooksController],
  providers: [WebhooksService],
})
export class WebhooksModule {}

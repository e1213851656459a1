import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { ConversationModule } from '../conversation/conversation.module';
import { IntakeModule } from '../intake/intake.module';
import { PipelineModule } from '../pipeline/pipeline.module';
import { ProjectsModule } from '../projects/projects.module';
import { RecordingsModule } from '../recordings/recordings.module';
import { ReportsModule } from '../reports/reports.module';
import { TrackersModule } from '../trackers/trackers.module';
import { TriageModule } from '../triage/triage.module';
import { WidgetAccessMiddleware } from './widget-access.middleware';
import { WidgetAssetsController } from './widget-assets.controller';
import { WidgetController } from './widget.controller';
import { WidgetGuard, WidgetReporterGuard } from './widget.guards';
import { WidgetService } from './widget.service';

/** The in-app widget's public side: its script, and the API its public key may use. */
@Module({
  imports: [
    ProjectsModule,
    ReportsModule,
    RecordingsModule,
    ConversationModule,
    TriageModule,
    TrackersModule,
    PipelineModule,
    IntakeModule,
  ],
  controllers: [WidgetController, WidgetAssetsController],
  providers: [WidgetService, WidgetGuard, WidgetReporterGuard],
})
export class WidgetModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(WidgetAccessMiddleware)
      .forRoutes({ path: 'v1/widget/*path', method: RequestMethod.ALL });
  }
}

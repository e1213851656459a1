import { Module } from '@nestjs/common';
import { ConversationModule } from '../conversation/conversation.module';
import { DedupeModule } from '../dedupe/dedupe.module';
import { PipelineModule } from '../pipeline/pipeline.module';
import { SentryModule } from '../sentry/sentry.module';
import { OpenAiModule } from '../../integrations/openai/openai.module';
import { ProjectsModule } from '../projects/projects.module';
import { DecisionService } from '../pipeline/decisions/decisions.service';
import { TriageController } from '../pipeline/decisions/decisions.controller';
import { TriageService } from './triage.service';

/** The triage agent in the pipeline: its runs, its trace, and people's decisions. */
@Module({
  imports: [
    OpenAiModule,
    ProjectsModule,
    SentryModule,
    DedupeModule,
    PipelineModule,
    ConversationModule,
  ],
  controllers: [TriageController],
  providers: [TriageService, DecisionService],
  exports: [TriageService],
})
export class TriageModule {}

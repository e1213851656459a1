import { Module } from '@nestjs/common';
import { ConversationModule } from '../conversation/conversation.module';
import { DedupeModule } from '../dedupe/dedupe.module';
import { PipelineModule } from '../pipeline/pipeline.module';
import { SentryModule } from '../sentry/sentry.module';
import { AgentModule } from './agent.module';
import { DecisionService } from './decision.service';
import { TriageController } from './triage.controller';
import { TriageService } from './triage.service';

/** The triage agent in the pipeline: its runs, its trace, and people's decisions. */
@Module({
  imports: [AgentModule, SentryModule, DedupeModule, PipelineModule, ConversationModule],
  controllers: [TriageController],
  providers: [TriageService, DecisionService],
  exports: [TriageService],
})
export class TriageModule {}

import { Module } from '@nestjs/common';
import { OpenAiModule } from '../../integrations/openai/openai.module';
import { ConversationModule } from '../conversation/conversation.module';
import { ProjectsModule } from '../projects/projects.module';
import { RecordingsModule } from '../recordings/recordings.module';
import { SentryModule } from '../sentry/sentry.module';
import { TriageService } from './triage.service';

/** The triage agent: its engines run on stored reports, with their trace and fact picture. */
@Module({
  imports: [OpenAiModule, ProjectsModule, RecordingsModule, SentryModule, ConversationModule],
  providers: [TriageService],
  exports: [TriageService],
})
export class TriageModule {}

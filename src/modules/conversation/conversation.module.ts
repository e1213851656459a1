import { Module } from '@nestjs/common';
import { ProjectsModule } from '../projects/projects.module';
import { ConversationGuard } from './conversation.guard';
import { ConversationService } from './conversation.service';

/** Follow-up questions to the reporter and their answers (the routes are intake's). */
@Module({
  imports: [ProjectsModule],
  providers: [ConversationService, ConversationGuard],
  exports: [ConversationService, ConversationGuard],
})
export class ConversationModule {}

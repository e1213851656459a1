import { Module } from '@nestjs/common';
import { PipelineModule } from '../pipeline/pipeline.module';
import { ProjectsModule } from '../projects/projects.module';
import { ConversationGuard } from './conversation.guard';
import { ConversationService } from './conversation.service';
import { MessagesController } from '../intake/messages.controller';

/** Follow-up questions to the reporter and their answers. */
@Module({
  imports: [PipelineModule, ProjectsModule],
  controllers: [MessagesController],
  providers: [ConversationService, ConversationGuard],
  exports: [ConversationService],
})
export class ConversationModule {}

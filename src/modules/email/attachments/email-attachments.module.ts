import { Module } from '@nestjs/common';
import { PipelineModule } from '../../pipeline/pipeline.module';
import { ReplayModule } from '../../replay/replay.module';
import { EmailAttachmentsController } from './email-attachments.controller';
import { EmailAttachmentsService } from './email-attachments.service';

/**
 * A mail's images as ticket evidence: kept when the mail makes a report, linked from the
 * ticket by signed URLs (signed with the replay links' key), served at `/attachments/:id`. The
 * API and the worker both import it: the worker files tickets, the API stores and serves.
 */
@Module({
  imports: [PipelineModule, ReplayModule],
  controllers: [EmailAttachmentsController],
  providers: [EmailAttachmentsService],
  exports: [EmailAttachmentsService],
})
export class EmailAttachmentsModule {}

import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { IntakeModule } from '../intake/intake.module';
import { PipelineModule } from '../pipeline/pipeline.module';
import { ProjectsModule } from '../projects/projects.module';
import { RecordingsModule } from '../recordings/recordings.module';
import { EmailAttachmentsModule } from './attachments/email-attachments.module';
import { EmailController } from './email.controller';
import { EmailService } from './email.service';

/** Reporting by email: POST /v1/emails (provider webhooks and SMTP are later ways in). */
@Module({
  imports: [
    AccountsModule,
    IntakeModule,
    PipelineModule,
    ProjectsModule,
    RecordingsModule,
    EmailAttachmentsModule,
  ],
  controllers: [EmailController],
  providers: [EmailService],
  exports: [EmailService],
})
export class EmailModule {}

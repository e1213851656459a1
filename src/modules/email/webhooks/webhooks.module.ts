import { Module } from '@nestjs/common';
import { ProjectsModule } from '../../projects/projects.module';
import { EmailModule } from '../email.module';
import { EmailWebhooksController } from './email-webhooks.controller';

/** Provider webhooks (Postmark, SendGrid, Mailgun): each verified as its provider signs, then the same path as POST /v1/emails. */
@Module({
  imports: [EmailModule, ProjectsModule],
  controllers: [EmailWebhooksController],
})
export class EmailWebhooksModule {}

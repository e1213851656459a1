import { Module } from '@nestjs/common';

/** Provider webhooks (Postmark, SendGrid, Mailgun): each verified as its provider signs, then the same path as POST /v1/emails. */
@Module({})
export class EmailWebhooksModule {}

import { Module } from '@nestjs/common';

/** Questions by email: the agent's questions go out by SMTP, threaded, and replies route back to the report. */
@Module({})
export class EmailOutboundModule {}

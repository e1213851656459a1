import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { ConversationModule } from '../../conversation/conversation.module';
import { ProjectsModule } from '../../projects/projects.module';
import { OUTBOUND_QUEUE } from './outbound.constants';
import { OutboundService } from './outbound.service';

/**
 * Questions by email: the agent's questions go out by SMTP, threaded, with a reply address
 * that routes the answer back (EmailService reads replies). Its processor is the worker's.
 */
@Module({
  imports: [BullModule.registerQueue({ name: OUTBOUND_QUEUE }), ConversationModule, ProjectsModule],
  providers: [OutboundService],
  exports: [OutboundService],
})
export class EmailOutboundModule {}

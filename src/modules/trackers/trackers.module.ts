import { Module } from '@nestjs/common';
import { ProjectsModule } from '../projects/projects.module';
import { BuiltinTracker } from './builtin/builtin.tracker';
import { DuplicateActionsService } from './duplicate-actions.service';
import { TicketFilingService } from './ticket-filing.service';
import { TicketsController } from './tickets.controller';
import { TicketsService } from './tickets.service';
import { TrackerRegistry } from './tracker-registry';

@Module({
  imports: [ProjectsModule],
  controllers: [TicketsController],
  providers: [
    BuiltinTracker,
    TrackerRegistry,
    TicketFilingService,
    TicketsService,
    DuplicateActionsService,
  ],
  exports: [TicketFilingService, TicketsService, DuplicateActionsService, TrackerRegistry],
})
export class TrackersModule {}

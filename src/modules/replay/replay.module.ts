import { Module } from '@nestjs/common';
import { RecordingsModule } from '../recordings/recordings.module';
import { ReplayLinksService } from './replay-links.service';
import { ReplayController } from './replay.controller';

/**
 * The replay viewer (`/replay/:reportId`) and its signed links. ReplayLinksService needs only
 * PostgreSQL and config, so the worker can sign links for tickets too.
 */
@Module({
  imports: [RecordingsModule],
  controllers: [ReplayController],
  providers: [ReplayLinksService],
  exports: [ReplayLinksService],
})
export class ReplayModule {}

import { Module } from '@nestjs/common';
import { RecordingsController } from './recordings.controller';
import { RecordingAnalysisService } from './recording-analysis.service';
import { RecordingsService } from './recordings.service';

@Module({
  controllers: [RecordingsController],
  providers: [RecordingsService, RecordingAnalysisService],
  exports: [RecordingsService, RecordingAnalysisService],
})
export class RecordingsModule {}

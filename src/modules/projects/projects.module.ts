import { Module } from '@nestjs/common';
import { TriagePolicyService } from './triage-policy.service';
import { ProjectsController } from './projects.controller';
import { ProjectsService } from './projects.service';

@Module({
  controllers: [ProjectsController],
  providers: [ProjectsService, TriagePolicyService],
  exports: [ProjectsService, TriagePolicyService],
})
export class ProjectsModule {}

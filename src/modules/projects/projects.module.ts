import { Module } from '@nestjs/common';
import { TriagePolicyService } from './triage-policy.service';
import { ProjectsController } from './projects.controller';
import { ProjectsService } from './projects.service';
import { SettingsController } from './settings/settings.controller';

@Module({
  controllers: [ProjectsController, SettingsController],
  providers: [ProjectsService, TriagePolicyService],
  exports: [ProjectsService, TriagePolicyService],
})
export class ProjectsModule {}

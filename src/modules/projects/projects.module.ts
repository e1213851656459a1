import { Module } from '@nestjs/common';
import { AgentPolicyService } from './agent-policy.service';
import { ProjectsController } from './projects.controller';
import { ProjectsService } from './projects.service';

@Module({
  controllers: [ProjectsController],
  providers: [ProjectsService, AgentPolicyService],
  exports: [ProjectsService, AgentPolicyService],
})
export class ProjectsModule {}

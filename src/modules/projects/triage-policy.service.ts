import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { Project } from './entities/project.entity';
import type { TriagePolicy } from './policy';
import { policyDefaults, resolvePolicy } from './policy';

/** A project's agent policy: its own settings over the operator's AGENT_* defaults. */
@Injectable()
export class TriagePolicyService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** `known`: the project as the caller read it just before (read here otherwise). */
  async forProject(projectId: string, known?: Project): Promise<TriagePolicy> {
    const project =
      known ?? (await this.db.getRepository(Project).findOneByOrFail({ id: projectId }));
    return resolvePolicy(project.agentPolicy, policyDefaults(this.config));
  }
}

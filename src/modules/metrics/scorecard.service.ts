import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { scorecardWeeks } from '../reports/report-scorecard';
import { ProjectsService } from '../projects/projects.service';
import { type ScorecardWeek, scorecardWeek } from './scorecard';

/** How long one scrape's figures serve every scorecard gauge (they are read in one query). */
const SCRAPE_REUSE_MS = 2_000;

/** The seed's measures per week, from the reports and their audit log. */
@Injectable()
export class ScorecardService {
  private current: { at: number; weeks: Promise<Map<string, ScorecardWeek>> } | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly projects: ProjectsService,
  ) {}

  /** The last `weeks` weeks of the project, oldest first, the current week last. */
  async weeks(projectId: string, weeks: number, now = new Date()): Promise<ScorecardWeek[]> {
    return (await scorecardWeeks(this.db, projectId, weeks, now)).map(scorecardWeek);
  }

  /** The current week of every project that had reports in it: project slug → figures. */
  currentWeekByProject(): Promise<Map<string, ScorecardWeek>> {
    const now = Date.now();
    if (!this.current || now - this.current.at > SCRAPE_REUSE_MS) {
      const weeks = this.readCurrentWeek();
      this.current = { at: now, weeks };
      // A failed read is not kept for the next scrape.
      weeks.catch(() => (this.current = null));
    }
    return this.current.weeks;
  }

  private async readCurrentWeek(): Promise<Map<string, ScorecardWeek>> {
    const rows = await scorecardWeeks(this.db, null, 1, new Date());
    const byProject = new Map<string, ScorecardWeek>();
    for (const row of rows) {
      if (!row.projectId) continue;
      const project = await this.projects.byId(row.projectId);
      byProject.set(project.slug, scorecardWeek(row));
    }
    return byProject;
  }
}

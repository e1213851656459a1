import type { ScorecardWeekFigures } from '../reports/report-scorecard';

/** One week of the scorecard as GET /v1/scorecard shows it. */
export interface ScorecardWeek {
  /** Monday 00:00 UTC, ISO 8601. */
  weekStart: string;
  reports: number;
  autonomousRate: number | null;
  handedToPersonRate: number | null;
  medianMinutesToTicket: number | null;
  questionsPerReport: number | null;
  answeredRate: number | null;
  duplicatesMerged: number;
  accountsAffected: number;
}

const round = (value: number, places: number) => {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
};

/** part / whole to four places; null when there is no whole to divide. */
const ratio = (part: number, whole: number) => (whole > 0 ? round(part / whole, 4) : null);

/** The week's counts as the seed's measures (rates, medians, per-report figures). */
export function scorecardWeek(figures: ScorecardWeekFigures): ScorecardWeek {
  return {
    weekStart: figures.weekStart.toISOString(),
    reports: figures.reports,
    autonomousRate: ratio(figures.autonomous, figures.reports),
    handedToPersonRate: ratio(figures.handed, figures.reports),
    medianMinutesToTicket:
      figures.medianMinutesToTicket === null ? null : round(figures.medianMinutesToTicket, 1),
    questionsPerReport: ratio(figures.questions, figures.reports),
    answeredRate: ratio(figures.answered, figures.asked),
    duplicatesMerged: figures.merged,
    accountsAffected: figures.accounts,
  };
}

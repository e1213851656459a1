import { scorecardWeek } from './scorecard';

const week = new Date('2026-11-30T00:00:00.000Z');

describe('the scorecard', () => {
  it('turns a week of counts into the measures', () => {
    expect(
      scorecardWeek({
        weekStart: week,
        projectId: null,
        reports: 3,
        autonomous: 2,
        handed: 1,
        medianMinutesToTicket: 12.345,
        questions: 4,
        asked: 2,
        answered: 1,
        merged: 1,
        accounts: 2,
      }),
    ).toEqual({
      weekStart: '2026-11-30T00:00:00.000Z',
      reports: 3,
      autonomousRate: 0.6667,
      handedToPersonRate: 0.3333,
      medianMinutesToTicket: 12.3,
      questionsPerReport: 1.3333,
      answeredRate: 0.5,
      duplicatesMerged: 1,
      accountsAffected: 2,
    });
  });

  it('has no rates for a week without reports, and no answered rate without questions', () => {
    expect(
      scorecardWeek({
        weekStart: week,
        projectId: null,
        reports: 0,
        autonomous: 0,
        handed: 0,
        medianMinutesToTicket: null,
        questions: 0,
        asked: 0,
        answered: 0,
        merged: 0,
        accounts: 0,
      }),
    ).toMatchObject({
      reports: 0,
      autonomousRate: null,
      handedToPersonRate: null,
      medianMinutesToTicket: null,
      questionsPerReport: null,
      answeredRate: null,
    });
  });
});

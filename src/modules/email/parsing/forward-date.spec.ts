import { headerOffsetMinutes, parseForwardDate } from './forward-date';

describe('parseForwardDate', () => {
  it.each([
    ['Mon, Dec 4, 2023 at 4:37 PM', 60, '2023-12-04T15:37:00.000Z'],
    ['Monday, December 4, 2023 12:05 AM', 0, '2023-12-04T00:05:00.000Z'],
    ['mié, 6 dic 2023 a las 9:12', 60, '2023-12-06T08:12:00.000Z'],
    ['lunes, 4 de diciembre de 2023 12:30', 60, '2023-12-04T11:30:00.000Z'],
    ['lundi 4 décembre 2023 19:55', 60, '2023-12-04T18:55:00.000Z'],
    ['Montag, 4. Dezember 2023 11:03', -300, '2023-12-04T16:03:00.000Z'],
    ['Mon, 4 Dec 2023 15:51:30 +0100', -300, '2023-12-04T14:51:30.000Z'],
    ['Monday, December 4, 2023, 09:26:50 AM GMT+1', 0, '2023-12-04T08:26:50.000Z'],
    ['4. Dezember 2023 um 14:25:08 MEZ', 0, '2023-12-04T13:25:08.000Z'],
    ['04.12.2023 10:00', 60, '2023-12-04T09:00:00.000Z'],
    ['12/4/2023 10:00 PM', 0, '2023-12-04T22:00:00.000Z'],
  ])('reads "%s" in the forwarder zone %i', (written, offset, iso) => {
    expect(parseForwardDate(written, offset)).toBe(iso);
  });

  it.each(['', 'yesterday', 'Mon, 31 Feb 2023 10:00', 'sometime in 2023'])(
    'gives null for "%s"',
    (written) => {
      expect(parseForwardDate(written, 0)).toBeNull();
    },
  );

  it('reads the zone of a Date header', () => {
    expect(headerOffsetMinutes('Tue, 05 Dec 2023 09:02:00 +0100')).toBe(60);
    expect(headerOffsetMinutes('Tue, 05 Dec 2023 09:02:00 -0530 (EST)')).toBe(-330);
    expect(headerOffsetMinutes('whenever')).toBeNull();
  });
});

import { RrwebBuilder } from '../../../../../test/factories/rrweb-builder';
import { analyzeRecording } from '../../../recordings/analyzer/analyzer';
import { ticketTitle } from './ticket-title';

const page = (b: RrwebBuilder) => [
  b.el('button', {}, ['Save changes'], 'save'),
  b.el('button', {}, ['Export CSV'], 'export'),
  b.el('div', {}, [], 'out'),
];
const words = 'hi, so the thing is broken again, can you look? thanks';

describe('ticket title', () => {
  it('names the failing action, the failure and the place for a failed request', () => {
    const b = new RrwebBuilder()
      .load(0, page)
      .click(1_000, 'save')
      .request(1_200, 'POST', '/api/billing?x=1', 500);
    expect(ticketTitle(words, analyzeRecording(b.events))).toBe(
      '"Save changes" fails with 500 (POST /api/billing) on /settings/billing',
    );
  });

  it('names the error for an exception', () => {
    const b = new RrwebBuilder()
      .load(0, page)
      .click(1_000, 'export')
      .consoleError(
        1_100,
        "Uncaught TypeError: Cannot read properties of undefined (reading 'rows')",
      );
    expect(ticketTitle(words, analyzeRecording(b.events))).toBe(
      '"Export CSV": TypeError: Cannot read properties of undefined (readin… on /settings/billing',
    );
  });

  it('says a dead button does nothing', () => {
    const b = new RrwebBuilder().load(0, page).click(1_000, 'export').scroll(4_000, 100);
    expect(ticketTitle(words, analyzeRecording(b.events))).toBe(
      'button "Export CSV" does nothing on /settings/billing',
    );
  });

  it('falls back to the reporter when the recording shows no failure, or there is none', () => {
    const quiet = new RrwebBuilder().load(0, page).click(1_000, 'save').render(1_100, 'out');
    expect(ticketTitle('Export is broken\nmore', analyzeRecording(quiet.events))).toBe(
      'Export is broken',
    );
    expect(ticketTitle('Export is broken', null)).toBe('Export is broken');
  });

  it('stays short', () => {
    const b = new RrwebBuilder()
      .load(0, page)
      .click(1_000, 'save')
      .request(1_200, 'POST', `/api/${'very-long-segment/'.repeat(10)}`, 503);
    expect(ticketTitle(words, analyzeRecording(b.events)).length).toBeLessThanOrEqual(90);
  });
});

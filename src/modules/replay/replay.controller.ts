import { Controller, Get, Logger, Param, Query, Req, Res } from '@nestjs/common';
import {
  ApiExcludeEndpoint,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { credentialOf, Public } from '../../common/auth';
import { adminTokenMatches } from '../projects/auth.guard';
import { DomainError, ErrorCode, NotFoundError, UnauthorizedError } from '../../common/errors';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import type { Report } from '../reports/entities/report.entity';
import { ReportsService } from '../reports/reports.service';
import type { Recording } from '../recordings/entities/recording.entity';
import { RecordingsService } from '../recordings/recordings.service';
import { playerAssets } from './player-assets';
import { REPLAY_PAGE_TOKEN_TTL_SECONDS, ReplayLinksService } from './replay-links.service';
import {
  MAX_TIMELINE_ENTRIES,
  renderReplayPage,
  replayFailure,
  replayPageCsp,
  replayTimeline,
  replayTitle,
} from './replay-page';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The URL carries the signature: never cached, never sent on as a referrer, never indexed. */
const PRIVATE_HEADERS = {
  'Cache-Control': 'private, no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Robots-Tag': 'noindex, nofollow',
  'X-Content-Type-Options': 'nosniff',
};

/** Events as one JSON array, produced batch by batch so memory stays at one chunk. */
export async function* jsonArray(batches: AsyncIterable<unknown[]>): AsyncGenerator<string> {
  yield '[';
  let first = true;
  for await (const batch of batches) {
    if (!batch.length) continue;
    const text = batch.map((event) => JSON.stringify(event) ?? 'null').join(',');
    yield first ? text : `,${text}`;
    first = false;
  }
  yield ']';
}

function startAt(t: unknown): number {
  return typeof t === 'string' && /^\d{1,10}$/.test(t) ? Number(t) : 0;
}

@ApiTags('replay')
@ApiSecurity('admin')
// Not the API key: each route takes a signed replay link or ADMIN_TOKEN (see authorize()).
@Public()
@Controller('replay')
export class ReplayController {
  private readonly logger = new Logger(ReplayController.name);

  constructor(
    private readonly links: ReplayLinksService,
    private readonly recordings: RecordingsService,
    private readonly reports: ReportsService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  // The two player files are public: they are rrweb-player's own, with no data in them.
  @Get('assets/rrweb-player.js')
  @ApiExcludeEndpoint()
  async playerScript(@Query('v') v: unknown, @Res() res: Response): Promise<void> {
    const assets = await playerAssets();
    this.sendAsset(res, v === assets.version, 'text/javascript; charset=utf-8', assets.js);
  }

  @Get('assets/rrweb-player.css')
  @ApiExcludeEndpoint()
  async playerStyle(@Query('v') v: unknown, @Res() res: Response): Promise<void> {
    const assets = await playerAssets();
    this.sendAsset(res, v === assets.version, 'text/css; charset=utf-8', assets.css);
  }

  @Get(':reportId')
  @ApiOperation({
    summary: "Replay a report's recording, with its timeline",
    description:
      'An HTML page playing the recording with rrweb-player from `t`, beside the steps, errors, failed requests and signals of its analysis. Needs a signed link (`exp` and `sig`, as put into tickets) or ADMIN_TOKEN (Bearer, or Basic password).',
  })
  @ApiProduces('text/html')
  @ApiQuery({ name: 't', required: false, description: 'Where to start, ms from the start' })
  @ApiQuery({ name: 'exp', required: false, description: 'Expiry of a signed link (unix s)' })
  @ApiQuery({ name: 'sig', required: false, description: 'Signature of a signed link' })
  async page(
    @Param('reportId') reportId: string,
    @Query('t') t: unknown,
    @Query('exp') exp: unknown,
    @Query('sig') sig: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.authorize(req, res, reportId, exp, sig, true);
    const { report, recording } = await this.replayable(reportId);
    const [assets, token] = await Promise.all([
      playerAssets(),
      // Whatever opened the page (a link, the admin token), its own fetch carries a fresh link.
      this.links.token(reportId, REPLAY_PAGE_TOKEN_TTL_SECONDS),
    ]);
    const base = `${new URL(this.config.PUBLIC_URL).pathname.replace(/\/+$/, '')}/replay`;
    const timeline = replayTimeline(recording.analysis);
    const nonce = randomBytes(18).toString('base64');
    const html = renderReplayPage(
      {
        title: replayTitle(report.description),
        startAt: startAt(t),
        eventsUrl: `${base}/${encodeURIComponent(reportId)}/events?exp=${token.exp}&sig=${token.sig}`,
        analyzed: recording.analysis !== null,
        timeline: timeline.slice(0, MAX_TIMELINE_ENTRIES),
        omitted: Math.max(0, timeline.length - MAX_TIMELINE_ENTRIES),
        failure: replayFailure(recording.analysis),
      },
      { nonce, assetsPath: `${base}/assets`, assetsVersion: assets.version },
    );
    res
      .status(200)
      .set({
        ...PRIVATE_HEADERS,
        'Content-Security-Policy': replayPageCsp(nonce),
        // For browsers without frame-ancestors: framed by Repro's own pages only.
        'X-Frame-Options': 'SAMEORIGIN',
      })
      .type('html')
      .send(html);
  }

  @Get(':reportId/events')
  @ApiOperation({
    summary: "A report's recording: all its rrweb events as one JSON array",
    description: 'Same access as the replay page. Streamed, gzip when the client accepts it.',
  })
  @ApiQuery({ name: 'exp', required: false })
  @ApiQuery({ name: 'sig', required: false })
  async events(
    @Param('reportId') reportId: string,
    @Query('exp') exp: unknown,
    @Query('sig') sig: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    await this.authorize(req, res, reportId, exp, sig, false);
    const { report, recording } = await this.replayable(reportId);
    const gzip = req.acceptsEncodings('gzip', 'identity') === 'gzip';
    res.status(200).set({
      ...PRIVATE_HEADERS,
      'Content-Type': 'application/json; charset=utf-8',
      Vary: 'Accept-Encoding',
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    });
    const body = Readable.from(
      jsonArray(this.recordings.eventBatches(report.projectId, recording.sessionId)),
    );
    try {
      await pipeline(gzip ? [body, createGzip(), res] : [body, res]);
    } catch (error) {
      // The viewer closed the page mid-stream: nothing went wrong on our side.
      if ((error as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      // Headers are out; the cut-off body is how the client learns of it.
      this.logger.error({ err: error, reportId }, 'Streaming recording events failed');
    }
  }

  /** A valid signed link for this report, or ADMIN_TOKEN. Before any lookup: nothing leaks. */
  private async authorize(
    req: Request,
    res: Response,
    reportId: string,
    exp: unknown,
    sig: unknown,
    browserPage: boolean,
  ): Promise<void> {
    if (adminTokenMatches(this.config, credentialOf(req))) return;
    if (exp === undefined && sig === undefined) {
      // No link to judge: let an operator's browser ask for the admin token, as /admin/queues does.
      if (browserPage && this.config.ADMIN_TOKEN) {
        res.setHeader('WWW-Authenticate', 'Basic realm="Repro admin", charset="UTF-8"');
      }
      throw new UnauthorizedError('Open a replay with its signed link, or with the admin token.');
    }
    await this.links.verify(reportId, exp, sig);
  }

  private async replayable(reportId: string): Promise<{ report: Report; recording: Recording }> {
    const report = UUID.test(reportId) ? await this.reports.find(reportId) : null;
    if (!report) throw new NotFoundError('Report');
    const recording = await this.recordings.findForReport(reportId);
    if (!recording) throw new DomainError(404, ErrorCode.NotFound, 'This report has no recording.');
    switch (recording.status) {
      // Unusable: kept but not analysed; it still plays, with a timeline that says it has none.
      case 'stored':
      case 'unusable':
        return { report, recording };
      case 'pending':
        throw new DomainError(404, ErrorCode.NotFound, "This report's recording has not arrived.");
      case 'refused':
        throw new DomainError(
          404,
          ErrorCode.NotFound,
          `This report's recording was not kept: ${recording.refusedReason ?? 'refused'}.`,
        );
    }
  }

  private sendAsset(res: Response, versioned: boolean, type: string, body: string): void {
    res
      .status(200)
      .set({
        'Cache-Control': versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
        'X-Content-Type-Options': 'nosniff',
        'Content-Type': type,
      })
      .send(body);
  }
}

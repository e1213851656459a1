import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiCookieAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { serialize } from 'cookie';
import type { Request, Response } from 'express';
import {
  PeopleAuthError,
  PeopleErrorCode,
  Public,
  sameOrigin,
  SESSION_COOKIE,
  SessionOnly,
} from '../../common/auth';
import type { AppConfig } from '../../config/config.schema';
import { InjectConfig } from '../../config/config.module';
import { CurrentSession, type PersonSession } from '../projects/current-project';
import { SessionDto, SignInDto } from './dto/session.dto';
import { SignInLimits } from './sign-in-limits';
import { UsersService } from './users.service';

@ApiTags('people')
@Controller('v1/session')
export class SessionsController {
  constructor(
    private readonly users: UsersService,
    private readonly limits: SignInLimits,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Post()
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with email and password: sets the HttpOnly session cookie (repro_session)',
  })
  @ApiOkResponse({ type: SessionDto })
  async signIn(
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @Body() dto: SignInDto,
  ): Promise<SessionDto> {
    // A page elsewhere must not sign a browser in to an account of its choosing.
    if (!sameOrigin(req, this.config.PUBLIC_URL)) {
      throw new PeopleAuthError(403, PeopleErrorCode.CsrfFailed, 'Sign in from Repro’s own pages.');
    }
    await this.limits.attempt(req, res, dto.email);
    const signedIn = await this.users.signIn(dto.email, dto.password, req.header('user-agent'));
    if (!signedIn) {
      await this.limits.failed(req, res);
      throw new PeopleAuthError(
        401,
        PeopleErrorCode.InvalidCredentials,
        'The email or the password is wrong.',
      );
    }
    await this.limits.succeeded(dto.email);
    res.setHeader(
      'Set-Cookie',
      serialize(SESSION_COOKIE, signedIn.token, {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
        maxAge: this.users.settings.maxHours * 3600,
        secure: this.users.settings.secureCookie,
      }),
    );
    return this.view(signedIn.session);
  }

  @Get()
  @SessionOnly()
  @ApiCookieAuth(SESSION_COOKIE)
  @ApiOperation({ summary: 'The signed-in person, their CSRF token and their projects' })
  @ApiOkResponse({ type: SessionDto })
  current(@CurrentSession() session: PersonSession): Promise<SessionDto> {
    return this.view(session);
  }

  @Delete()
  @SessionOnly()
  @HttpCode(204)
  @ApiCookieAuth(SESSION_COOKIE)
  @ApiOperation({ summary: 'Sign out: the session ends and the cookie is cleared' })
  @ApiNoContentResponse()
  async signOut(
    @CurrentSession() session: PersonSession,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    await this.users.endSession(session.id);
    res.setHeader(
      'Set-Cookie',
      serialize(SESSION_COOKIE, '', {
        httpOnly: true,
        sameSite: 'strict',
        path: '/',
        maxAge: 0,
        expires: new Date(0),
        secure: this.users.settings.secureCookie,
      }),
    );
  }

  private async view(session: PersonSession): Promise<SessionDto> {
    const { id, email, name, role } = session.person;
    return {
      user: { id, email, name, role },
      csrfToken: session.csrfToken,
      projects: await this.users.projectsOf(session.person),
      expiresAt: session.expiresAt.toISOString(),
    };
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnlyForPeople, SESSION_COOKIE } from '../../../common/auth';
import { type FieldProblem, NotFoundError, ValidationFailedError } from '../../../common/errors';
import type { AppConfig } from '../../../config/config.schema';
import { InjectConfig } from '../../../config/config.module';
import { CurrentProject } from '../current-project';
import type { ApiKey } from '../entities/api-key.entity';
import type { Project, TrackerProvider } from '../entities/project.entity';
import { policyDefaults, resolvePolicy } from '../policy';
import { DEFAULT_PROJECT_SLUG, ProjectsService } from '../projects.service';
import { checkDomainAccounts, checkOrigins, checkStaffSenders } from './settings-input';
import {
  ApiKeyDto,
  CreateApiKeyDto,
  CreatedApiKeyDto,
  EmailSettingsDto,
  PolicySettingsDto,
  ProjectSettingsDto,
  TrackerSettingsDto,
  UpdateEmailDto,
  UpdatePolicyDto,
  UpdateTrackerDto,
  UpdateWidgetDto,
  WidgetSettingsDto,
} from './settings.dto';

/**
 * The current project's settings over HTTP, for admins (a member gets 403 FORBIDDEN_ROLE) and
 * the project's API key: what `repro policy`, `repro tracker`, `repro keys`, `repro widget` and
 * `repro email` set. Secrets are write-only: a setting's answer says whether one is set, never
 * what it is.
 */
@ApiTags('settings')
@ApiBearerAuth()
@ApiCookieAuth(SESSION_COOKIE)
@ApiForbiddenResponse({ description: 'FORBIDDEN_ROLE: a member (admins and API keys pass)' })
@AdminOnlyForPeople()
@Controller('v1/projects/current')
export class SettingsController {
  constructor(
    private readonly projects: ProjectsService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  @Get('settings')
  @ApiOperation({
    summary:
      "The current project's settings: agent policy, tracker destination, widget and email (no secrets)",
  })
  @ApiOkResponse({ type: ProjectSettingsDto })
  async settings(@CurrentProject() current: Project): Promise<ProjectSettingsDto> {
    // Read afresh: an API key's project may have been remembered before a change.
    const project = await this.projects.byId(current.id);
    return {
      id: project.id,
      slug: project.slug,
      name: project.name,
      policy: this.policyView(project),
      tracker: this.trackerView(project),
      widget: this.widgetView(project),
      email: await this.emailView(project),
    };
  }

  @Patch('policy')
  @ApiOperation({
    summary:
      'Change what the triage agent may do alone (as `repro policy`): a setting left out stays, null returns it to the AGENT_* default',
  })
  @ApiOkResponse({ type: PolicySettingsDto })
  async updatePolicy(
    @CurrentProject() project: Project,
    @Body() dto: UpdatePolicyDto,
  ): Promise<PolicySettingsDto> {
    const own = await this.projects.updateAgentPolicy(project.slug, { ...dto });
    return this.policyView({ ...project, agentPolicy: own });
  }

  @Patch('tracker')
  @ApiOperation({
    summary:
      'Choose the ticket destination and its non-secret choices (as `repro tracker`); credentials stay in the environment',
  })
  @ApiOkResponse({ type: TrackerSettingsDto })
  async updateTracker(
    @CurrentProject() current: Project,
    @Body() dto: UpdateTrackerDto,
  ): Promise<TrackerSettingsDto> {
    const { provider, token, apiKey, ...choices } = dto;
    const problems: FieldProblem[] = [];
    // Named, never echoed: the value of a secret does not go into the answer or the logs.
    for (const [field, value] of [
      ['token', token],
      ['apiKey', apiKey],
    ] as const) {
      if (value !== undefined) {
        problems.push({
          field,
          message:
            'tracker credentials are set in the environment (LINEAR_API_KEY, GITHUB_TOKEN), not here; it was not stored',
        });
      }
    }
    const project = await this.projects.byId(current.id);
    if (provider !== undefined && provider !== project.trackerProvider) {
      problems.push(...this.providerProblems(project, provider, choices.repo));
    }
    if (problems.length) throw new ValidationFailedError(problems);
    const settings = await this.projects.updateTrackerConfig(project.slug, choices);
    const updated = provider
      ? await this.projects.setTrackerProvider(project.slug, provider)
      : project;
    return this.trackerView({ ...updated, trackerConfig: { ...settings } });
  }

  @Get('api-keys')
  @ApiOperation({ summary: "The project's API keys: prefixes and labels, never the keys" })
  @ApiOkResponse({ type: [ApiKeyDto] })
  async apiKeys(@CurrentProject() project: Project): Promise<ApiKeyDto[]> {
    return (await this.projects.listApiKeys(project.slug)).map(keyView);
  }

  @Post('api-keys')
  @ApiOperation({ summary: 'Create an API key for the project; the key is in this answer only' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async createApiKey(
    @CurrentProject() project: Project,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyDto> {
    const issued = await this.projects.createApiKey(project.slug, dto.label.trim());
    const row = (await this.projects.listApiKeys(project.slug)).find(
      (k) => k.prefix === issued.prefix,
    )!;
    return { ...keyView(row), key: issued.key };
  }

  @Delete('api-keys/:prefix')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Revoke one of the project’s keys: this process refuses it at once, other Repro processes within API_KEY_CACHE_MS',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'The project has no live key with this prefix' })
  async revokeApiKey(
    @CurrentProject() project: Project,
    @Param('prefix') prefix: string,
  ): Promise<void> {
    if (!(await this.projects.revokeProjectApiKey(project.id, prefix))) {
      throw new NotFoundError(`Live API key ${prefix.slice(0, 40)}`);
    }
  }

  @Patch('widget')
  @ApiOperation({
    summary: 'Set the origins allowed to use the widget key and whether it shows the ticket key',
  })
  @ApiOkResponse({ type: WidgetSettingsDto })
  async updateWidget(
    @CurrentProject() project: Project,
    @Body() dto: UpdateWidgetDto,
  ): Promise<WidgetSettingsDto> {
    const origins = dto.allowedOrigins && checkOrigins('allowedOrigins', dto.allowedOrigins);
    if (origins?.problems.length) {
      throw new ValidationFailedError(
        origins.problems,
        'Allowed origins must be origins like https://app.example.com.',
      );
    }
    const updated = await this.projects.updateWidgetSettings(project.slug, {
      allowedOrigins: origins?.value,
      showTicketKey: dto.showTicketKey,
    });
    return this.widgetView(updated);
  }

  @Post('widget/rotate-key')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Give the widget a new public key; the old one is refused from now on (pages need the new snippet)',
  })
  @ApiOkResponse({ type: WidgetSettingsDto })
  async rotateWidgetKey(@CurrentProject() project: Project): Promise<WidgetSettingsDto> {
    return this.widgetView(await this.projects.rotateWidgetKey(project.slug));
  }

  @Patch('email')
  @ApiOperation({
    summary:
      'Set how the project takes reports by email (as `repro email`, without the providers’ secrets)',
  })
  @ApiOkResponse({ type: EmailSettingsDto })
  async updateEmail(
    @CurrentProject() project: Project,
    @Body() dto: UpdateEmailDto,
  ): Promise<EmailSettingsDto> {
    const staff = dto.staffSenders && checkStaffSenders('staffSenders', dto.staffSenders);
    const domains = dto.domainAccounts && checkDomainAccounts('domainAccounts', dto.domainAccounts);
    const problems = [...(staff?.problems ?? []), ...(domains?.problems ?? [])];
    if (problems.length) throw new ValidationFailedError(problems);
    const updated = await this.projects.updateEmailSettings(project.slug, {
      staffSenders: staff?.value,
      domainAccounts: domains?.value,
      unknownSenders: dto.unknownSenders,
      questionsTo: dto.questionsTo,
    });
    return this.emailView(updated);
  }

  private policyView(project: Pick<Project, 'agentPolicy'>): PolicySettingsDto {
    return {
      project: project.agentPolicy ?? {},
      effective: resolvePolicy(project.agentPolicy, policyDefaults(this.config)),
    };
  }

  /** Whether the environment has the credential a provider needs. */
  private hasCredential(provider: TrackerProvider): boolean {
    switch (provider) {
      case 'builtin':
        return true;
      case 'linear':
        return !!this.config.LINEAR_API_KEY;
      case 'github':
        return !!this.config.GITHUB_TOKEN;
    }
  }

  /** Why the project may not file into `provider` (refused now rather than at filing time). */
  private providerProblems(
    project: Project,
    provider: TrackerProvider,
    repo: string | null | undefined,
  ): FieldProblem[] {
    if (project.slug === DEFAULT_PROJECT_SLUG) {
      return [
        {
          field: 'provider',
          message:
            'the default project files where the environment says (LINEAR_* or GITHUB_*, else built-in), set again at every start',
        },
      ];
    }
    if (!this.hasCredential(provider)) {
      const variable = provider === 'linear' ? 'LINEAR_API_KEY' : 'GITHUB_TOKEN';
      return [{ field: 'provider', message: `${provider} needs ${variable} in the environment` }];
    }
    const ownRepo = repo === undefined ? (project.trackerConfig as { repo?: string }).repo : repo;
    if (provider === 'github' && !ownRepo && !this.config.GITHUB_REPO) {
      return [{ field: 'repo', message: 'github needs a repo (owner/name)' }];
    }
    return [];
  }

  private trackerView(project: Project): TrackerSettingsDto {
    const config = project.trackerConfig as TrackerSettingsDto['settings'];
    return {
      provider: project.trackerProvider,
      settings: {
        team: config.team,
        labels: config.labels,
        state: config.state,
        repo: config.repo,
        assignees: config.assignees,
      },
      hasToken:
        project.trackerProvider !== 'builtin' && this.hasCredential(project.trackerProvider),
      available: {
        builtin: true,
        linear: this.hasCredential('linear'),
        github: this.hasCredential('github'),
      },
      status: project.trackerError ? 'misconfigured' : 'ok',
      error: project.trackerError,
      since: project.trackerErrorAt?.toISOString() ?? null,
    };
  }

  private widgetView(project: Project): WidgetSettingsDto {
    return {
      key: project.widgetKey,
      allowedOrigins: project.widgetAllowedOrigins,
      ownOrigin: new URL(this.config.PUBLIC_URL).origin,
      showTicketKey: project.widgetShowTicketKey,
      snippet: `<script src="${this.config.PUBLIC_URL}/widget.js" data-repro-key="${project.widgetKey}" async></script>`,
    };
  }

  private async emailView(project: Project): Promise<EmailSettingsDto> {
    const secrets = (await this.projects.findWithEmailWebhookSecrets(project.slug))!;
    const hooks = `${this.config.PUBLIC_URL}/v1/emails/webhooks/${encodeURIComponent(project.slug)}`;
    const smtp =
      this.config.EMAIL_SMTP_PORT && this.config.EMAIL_SMTP_DOMAIN
        ? `${project.slug}@${this.config.EMAIL_SMTP_DOMAIN}`
        : null;
    return {
      staffSenders: project.emailStaffSenders,
      unknownSenders: project.emailUnknownSenders,
      questionsTo: project.emailQuestionsTo,
      domainAccounts: project.emailDomainAccounts,
      inboundUrl: `${this.config.PUBLIC_URL}/v1/emails`,
      smtpAddress: smtp,
      webhooks: {
        postmark: { url: `${hooks}/postmark`, secretSet: !!secrets.emailPostmarkPasswordHash },
        sendgrid: {
          url: `${hooks}/sendgrid`,
          secretSet: !!(secrets.emailSendgridPasswordHash || secrets.emailSendgridPublicKey),
        },
        sendgridSigned: !!secrets.emailSendgridPublicKey,
        mailgun: { url: `${hooks}/mailgun/mime`, secretSet: !!secrets.emailMailgunSigningKey },
      },
    };
  }
}

function keyView(row: ApiKey): ApiKeyDto {
  return {
    prefix: row.prefix,
    label: row.label,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

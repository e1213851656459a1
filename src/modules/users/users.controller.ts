import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  AdminOnlyForPeople,
  PeopleAuthError,
  PeopleErrorCode,
  SESSION_COOKIE,
} from '../../common/auth';
import { CurrentProject, CurrentUser, type Person } from '../projects/current-project';
import type { Project } from '../projects/entities/project.entity';
import { NotFoundError } from '../../common/errors';
import {
  CreatedUserDto,
  CreateUserDto,
  PasswordResetDto,
  UpdateUserDto,
  UserDto,
} from './dto/session.dto';
import { UsersService } from './users.service';

const personId = () => new ParseUUIDPipe({ exceptionFactory: () => new NotFoundError('Person') });

@ApiTags('people')
@ApiBearerAuth()
@ApiCookieAuth(SESSION_COOKIE)
@Controller('v1/users')
@AdminOnlyForPeople()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({
    summary:
      'People who sign in to the app (admins only; a project API key sees the people of its project)',
  })
  @ApiOkResponse({ type: [UserDto] })
  list(@CurrentProject() project: Project, @CurrentUser() person: Person | undefined) {
    return this.users.list(person ? undefined : project.id);
  }

  @Post()
  @ApiOperation({
    summary:
      'Add a person; their generated password is in the answer, once (a project API key adds members of its project only)',
  })
  @ApiCreatedResponse({ type: CreatedUserDto })
  async create(
    @CurrentProject() project: Project,
    @CurrentUser() person: Person | undefined,
    @Body() dto: CreateUserDto,
  ): Promise<CreatedUserDto> {
    let projects = dto.projects;
    if (!person) {
      // A project's key may not mint an admin, who would reach every other project.
      if (dto.role === 'admin') {
        throw new PeopleAuthError(
          403,
          PeopleErrorCode.ForbiddenRole,
          'A project API key may add members only; an admin adds admins.',
          { field: 'role' },
        );
      }
      projects ??= [project.slug];
      const other = projects.find((slug) => slug !== project.slug);
      if (other) {
        throw new PeopleAuthError(
          403,
          PeopleErrorCode.ProjectForbidden,
          `A project API key may give access to its own project only, not "${other}".`,
          { field: 'projects', project: other },
        );
      }
    }
    const { user, password } = await this.users.createUser({
      email: dto.email,
      name: dto.name ?? null,
      role: dto.role,
      projects: dto.role === 'admin' ? [] : projects,
    });
    return { ...user, password: password! };
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Turn a person off (their sessions end at once) or back on (admins, signed in)',
  })
  @ApiOkResponse({ type: UserDto })
  update(
    @Param('id', personId()) id: string,
    @CurrentUser() person: Person | undefined,
    @Body() dto: UpdateUserDto,
  ): Promise<UserDto> {
    return this.users.setDisabledById(id, dto.disabled, signedInAdmin(person));
  }

  @Post(':id/password')
  @ApiOperation({
    summary:
      'Give a person a new generated password, shown once; every session of theirs ends (admins, signed in)',
  })
  @ApiCreatedResponse({ type: PasswordResetDto })
  resetPassword(
    @Param('id', personId()) id: string,
    @CurrentUser() person: Person | undefined,
  ): Promise<PasswordResetDto> {
    signedInAdmin(person);
    return this.users.resetPassword(id);
  }
}

/** These change who may sign in: an admin who signed in does it, never a project's API key. */
function signedInAdmin(person: Person | undefined): Person {
  if (!person) {
    throw new PeopleAuthError(
      403,
      PeopleErrorCode.ForbiddenRole,
      'An admin signs in to turn people off or give them a new password; an API key cannot.',
    );
  }
  return person;
}

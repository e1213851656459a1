import { Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { ProjectsModule } from '../projects/projects.module';
import { SessionAuthenticator } from '../projects/current-project';
import { SessionsController } from './sessions.controller';
import { SignInLimits } from './sign-in-limits';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/**
 * People who sign in to the app: their accounts, projects and sessions. The global guard (in
 * projects, below this module) finds the SessionAuthenticator it provides.
 */
@Module({
  imports: [ProjectsModule],
  controllers: [SessionsController, UsersController],
  providers: [
    UsersService,
    SignInLimits,
    { provide: SessionAuthenticator, useExisting: UsersService },
  ],
  exports: [UsersService, SessionAuthenticator],
})
export class UsersModule implements OnApplicationBootstrap {
  private readonly logger = new Logger('Users');

  constructor(private readonly users: UsersService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.users.purgeExpiredSessions();
    if ((await this.users.countUsers()) === 0) {
      this.logger.log(
        'No one can sign in to the app yet: create the first admin with `repro users create --email you@example.com --admin`.',
      );
    }
  }
}

import 'reflect-metadata';
import { DataSource } from 'typeorm';
import type { CliIo } from './io';
import { loadConfig } from '../config/config.schema';
import { dataSourceOptions } from '../database/data-source';
import { prepareDatabase } from '../database/prepare-database';
import { ProjectsService } from '../modules/projects/projects.service';
import { UsersService } from '../modules/users/users.service';

/** The CLI's io, and where --password-stdin reads from (the process's stdin unless a test says). */
export interface UsersIo extends CliIo {
  readStdin?: () => Promise<string>;
}

export interface CreateUserOptions {
  email: string;
  name?: string;
  admin?: boolean;
  passwordStdin?: boolean;
  /** Repeatable: the projects a member reaches. */
  project?: string[];
}

async function withUsers<T>(io: CliIo, action: (users: UsersService) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env);
  await prepareDatabase(config);
  const db = new DataSource({ ...dataSourceOptions(config.DATABASE_URL), extra: { max: 2 } });
  await db.initialize();
  try {
    return await action(new UsersService(db, new ProjectsService(db), config));
  } finally {
    await db.destroy();
  }
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `repro users create`: adds a person. With --password-stdin the password is the first line of
 * stdin; without, one is generated and printed on stdout (once); what happened goes to stderr.
 */
export async function createUserCommand(options: CreateUserOptions, io: UsersIo): Promise<void> {
  let password: string | undefined;
  if (options.passwordStdin) {
    const input = await (io.readStdin ?? readProcessStdin)();
    password = input.split(/\r?\n/)[0];
  }
  const role = options.admin ? 'admin' : 'member';
  const { user, password: generated } = await withUsers(io, (users) =>
    users.createUser({
      email: options.email,
      name: options.name ?? null,
      role,
      password,
      projects: role === 'admin' ? [] : (options.project ?? ['default']),
    }),
  );
  if (generated) io.out(`${generated}\n`);
  const where =
    role === 'admin'
      ? 'every project'
      : user.projects.map((p) => p.slug).join(', ') || 'no project';
  io.err(
    `Created ${role} ${user.email} (${where}).${generated ? ' The password above is not shown again.' : ''}\n`,
  );
}

/** `repro users list`: email, role, projects, state; never a password or its hash. */
export async function listUsersCommand(io: CliIo): Promise<void> {
  const users = await withUsers(io, (u) => u.list());
  for (const user of users) {
    const projects = user.role === 'admin' ? '*' : user.projects.map((p) => p.slug).join(',');
    const state = user.disabled ? 'disabled' : 'active';
    io.out(`${user.email}\t${user.role}\t${projects}\t${state}\t${user.name ?? ''}\n`);
  }
}

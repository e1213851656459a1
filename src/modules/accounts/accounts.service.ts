import { Injectable } from '@nestjs/common';
import { type EntityManager, IsNull } from 'typeorm';
import { Account } from './entities/account.entity';
import { Reporter } from './entities/reporter.entity';

export interface AccountInput {
  id: string;
  name?: string;
  tier?: string;
}

export interface ReporterInput {
  email?: string;
  name?: string;
  id?: string;
}

function domainOf(email: string | undefined): string | null {
  const at = email?.lastIndexOf('@') ?? -1;
  return email && at > 0 ? email.slice(at + 1).toLowerCase() : null;
}

/**
 * Finds or creates accounts and reporters. Insert-or-ignore then select, so concurrent reports
 * from the same new customer converge on one row instead of failing.
 */
@Injectable()
export class AccountsService {
  async upsertAccount(
    manager: EntityManager,
    projectId: string,
    input: AccountInput,
    reporterEmail?: string,
  ): Promise<Account> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(Account)
      .values({
        projectId,
        externalId: input.id,
        name: input.name ?? null,
        tier: input.tier ?? null,
      })
      .orIgnore()
      .execute();
    const account = await manager.findOneByOrFail(Account, { projectId, externalId: input.id });
    const domain = domainOf(reporterEmail);
    const changes: Partial<Account> = {};
    if (input.name && input.name !== account.name) changes.name = input.name;
    if (input.tier && input.tier !== account.tier) changes.tier = input.tier;
    if (domain && !account.emailDomains.includes(domain))
      changes.emailDomains = [...account.emailDomains, domain];
    if (Object.keys(changes).length) {
      await manager.update(Account, { id: account.id }, changes);
      Object.assign(account, changes);
    }
    return account;
  }

  async upsertReporter(
    manager: EntityManager,
    projectId: string,
    input: ReporterInput,
    accountId: string | null,
  ): Promise<Reporter> {
    const email = input.email?.toLowerCase() ?? null;
    const externalId = input.id ?? null;
    await manager
      .createQueryBuilder()
      .insert()
      .into(Reporter)
      .values({ projectId, email, externalId, name: input.name ?? null, accountId })
      .orIgnore()
      .execute();
    const reporter = await manager.findOneOrFail(Reporter, {
      where: externalId
        ? { projectId, externalId }
        : { projectId, email: email ?? IsNull(), externalId: IsNull() },
    });
    const changes: Partial<Reporter> = {};
    if (input.name && input.name !== reporter.name) changes.name = input.name;
    if (email && email !== reporter.email) changes.email = email;
    if (accountId && accountId !== reporter.accountId) changes.accountId = accountId;
    if (Object.keys(changes).length) {
      await manager.update(Reporter, { id: reporter.id }, changes);
      Object.assign(reporter, changes);
    }
    return reporter;
  }
}

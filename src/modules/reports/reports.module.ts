import { Global, Module } from '@nestjs/common';
import { ReportsService } from './reports.service';

/** The reports kernel, available everywhere: every capability reads reports and audits. */
@Global()
@Module({ providers: [ReportsService], exports: [ReportsService] })
export class ReportsModule {}

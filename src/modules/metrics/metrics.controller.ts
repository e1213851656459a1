import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../../common/auth';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@ApiSecurity('admin')
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @AdminOnly()
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics (ADMIN_TOKEN)' })
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

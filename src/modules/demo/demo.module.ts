import { Module } from '@nestjs/common';
import { ProjectsModule } from '../projects/projects.module';
import { DemoController } from './demo.controller';

/** `/demo`: a small app with the widget installed and two deliberate bugs (see demo-page.ts). */
@Module({
  imports: [ProjectsModule],
  controllers: [DemoController],
})
export class DemoModule {}

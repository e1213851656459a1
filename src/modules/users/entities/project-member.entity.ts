import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Project } from '../../projects/entities/project.entity';
import { User } from './user.entity';

/** A member's access to a project (admins reach every project without rows here). */
@Entity('project_members')
export class ProjectMember {
  @PrimaryColumn({ type: 'uuid' })
  projectId!: string;

  /** Indexed on its own: a person's projects are looked up on every request they make. */
  @Index()
  @PrimaryColumn({ type: 'uuid' })
  userId!: string;

  @ManyToOne(() => Project, { onDelete: 'CASCADE' })
  @JoinColumn()
  project?: Relation<Project>;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn()
  user?: Relation<User>;
}

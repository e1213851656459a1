import type { AppConfig } from '../../config/config.schema';

/** The people and sessions settings, with their defaults. */
export interface PeopleSettings {
  /** A session unused this long ends (SESSION_IDLE_MINUTES). */
  idleMinutes: number;
  /** A session ends this long after sign-in, however busy (SESSION_MAX_HOURS). */
  maxHours: number;
  /** Sign-in attempts per email address per minute (RATE_LIMIT_SIGN_IN_PER_MINUTE). */
  signInPerEmailPerMinute: number;
  /** Sign-in attempts per client address per minute (RATE_LIMIT_SIGN_IN_PER_ADDRESS_PER_MINUTE). */
  signInPerAddressPerMinute: number;
  /** The cookie is Secure when Repro is served over https (PUBLIC_URL). */
  secureCookie: boolean;
}

/** The variables config.schema.ts validates for people and sessions. */
export interface PeopleConfig {
  SESSION_IDLE_MINUTES: number;
  SESSION_MAX_HOURS: number;
  RATE_LIMIT_SIGN_IN_PER_MINUTE: number;
  RATE_LIMIT_SIGN_IN_PER_ADDRESS_PER_MINUTE: number;
}

export const PEOPLE_DEFAULTS: PeopleConfig = {
  SESSION_IDLE_MINUTES: 720,
  SESSION_MAX_HOURS: 168,
  RATE_LIMIT_SIGN_IN_PER_MINUTE: 5,
  RATE_LIMIT_SIGN_IN_PER_ADDRESS_PER_MINUTE: 20,
};

/** Reads the typed config (an unset variable takes its default). */
export function peopleSettings(config: AppConfig | undefined): PeopleSettings {
  const c = { ...PEOPLE_DEFAULTS, ...(config as Partial<PeopleConfig> | undefined) };
  return {
    idleMinutes: c.SESSION_IDLE_MINUTES,
    maxHours: c.SESSION_MAX_HOURS,
    signInPerEmailPerMinute: c.RATE_LIMIT_SIGN_IN_PER_MINUTE,
    signInPerAddressPerMinute: c.RATE_LIMIT_SIGN_IN_PER_ADDRESS_PER_MINUTE,
    secureCookie: config?.PUBLIC_URL.startsWith('https:') ?? false,
  };
}

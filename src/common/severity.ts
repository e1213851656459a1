/** How bad a bug is, as tickets, policies and settings (AGENT_APPROVAL_SEVERITIES) name it. */
export const SEVERITIES = ['urgent', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

import type { Severity } from '../../src/alerts/alert.model.ts';
import type { AlertOut } from '../../src/alerts/alert.service.ts';
import type { AttemptOut, DeadNotificationOut } from '../../src/alerts/notifier.ts';
import type { SilenceOut } from '../../src/alerts/silence.service.ts';
/** Shapes of the API responses the UI reads. */

export type Role = 'admin' | 'member';

export interface Session {
  user: { name: string; role: Role; teams: string[] };
  scopes: string[];
  via: 'token' | 'session';
  csrfToken: string | null;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: Array<{ path: string; message: string }>;
}

export interface EntitySummary {
  id: string;
  kind: string;
  name: string;
  title: string | null;
  description: string | null;
  type: string | null;
  owner: string | null;
  partOf: string | null;
  lifecycle: string | null;
  tier: string | null;
  tags: string[];
  updatedAt: number;
}

export interface EntityRefOwned {
  kind: string;
  name: string;
  owner: string | null;
}

export interface EntityDetail extends EntitySummary {
  runbookUrl: string | null;
  links: Array<{ title?: string | null; url: string }>;
  annotations: Record<string, string>;
  source: string | null;
  createdAt: number;
  dependsOn: EntityRefOwned[];
  dependents: EntityRefOwned[];
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface BlastRadius {
  root: EntityRefOwned;
  impacted: Array<EntityRefOwned & { tier: string | null; depth: number; via: string }>;
  teams: Array<{ name: string; count: number }>;
  edges: Array<{ from: string; to: string }>;
}

export type TeamType = 'stream-aligned' | 'platform' | 'enabling' | 'complicated-subsystem';

export interface TeamSummary {
  name: string;
  title: string | null;
  type: TeamType | string;
  description: string | null;
  memberCount?: number;
  entityCount?: number;
}

export interface TeamDetail extends TeamSummary {
  links: Array<{ title?: string | null; url: string }>;
  members: Array<{ name: string; displayName: string | null; role?: string | null }>;
  interactions: Array<{ team: string; mode: string; description: string | null; direction?: string | null }>;
  entities: EntitySummary[];
}

export interface ConwayFinding {
  from: { ref: string; owner: string };
  to: { ref: string; owner: string };
  message: string;
}

export interface JournalEntry {
  seq: number;
  id: string;
  at: number;
  kind: string;
  actor: string;
  serviceId: string | null;
  subjectType: string | null;
  subjectId: string | null;
  data: Record<string, unknown>;
}

export interface JournalPage {
  items: JournalEntry[];
  nextBefore: number | null;
}

export const ENTITY_KINDS = ['service', 'system', 'resource', 'api', 'domain'] as const;
export const TIERS = ['tier-1', 'tier-2', 'tier-3', 'tier-4'] as const;
export const LIFECYCLES = ['experimental', 'production', 'deprecated'] as const;

// ---------- SLOs ----------

export type PolicyState = 'ok' | 'warn' | 'halted';

export const BURN_WINDOWS = ['5m', '30m', '1h', '6h', '1d', '3d'] as const;
export type BurnWindow = (typeof BURN_WINDOWS)[number];

export type TimeWindow =
  | { type: 'rolling'; duration: string }
  | { type: 'calendar'; duration: string; startTime: string; timeZone: string };

export type BudgetingMethod = 'Occurrences' | 'Timeslices' | 'RatioTimeslices';

export interface ObjectiveStatus {
  objective: string;
  displayName?: string | null;
  target: number;
  windowStart: number;
  windowEnd: number;
  sli: number | null;
  good: number;
  total: number;
  budgetEvents: number;
  budgetMinutes: number;
  consumedEvents: number;
  consumedMinutes: number;
  remainingRatio: number;
  remainingEvents: number;
  remainingMinutes: number;
  burnRates: Record<BurnWindow, number | null>;
  timeToExhaustionMs: number | null;
}

export interface BurnRateRule {
  name: string;
  severity: 'page' | 'ticket';
  budgetShare: number;
  longWindow: string;
  shortWindow: string;
  /** The burn rate this rule fires at, when the server computes it for the SLO's window. */
  burnRate?: number;
}

export interface SloAlert {
  id: string;
  slo: string;
  /** Objective name, or `*` for a no-data alert. */
  objective: string;
  /** Burn-rate rule name, or `no-data`. */
  rule: string;
  severity: 'page' | 'ticket' | string;
  state: 'firing' | 'resolved';
  firedAt: number;
  resolvedAt: number | null;
  /** Burn-rate alerts: reason, threshold, longWindow, shortWindow, longBurnRate, shortBurnRate. */
  data: Record<string, unknown>;
}

export interface SloStatus {
  name: string;
  displayName: string | null;
  description?: string | null;
  service: string;
  owner: string | null;
  sli: string;
  budgetingMethod: BudgetingMethod;
  timeWindow: TimeWindow;
  objectives: ObjectiveStatus[];
  alerts: SloAlert[];
  /** The SLO's burn-rate rules, when the server sends them; the SRE Workbook defaults otherwise. */
  alerting?: { rules: BurnRateRule[]; minEvents?: number; noDataAfter?: string | null };
  policy: { state: PolicyState; actions: string[] };
  labels?: Record<string, string>;
}

export interface SloSeries {
  sli: Array<{ at: number; good: number; total: number; value: number | null }>;
  burnDown: Array<{ at: number; remainingRatio: number }>;
}

export interface OverviewSlo {
  name: string;
  displayName?: string | null;
  remainingRatio: number;
  sli: number | null;
  target: number;
  state: 'ok' | 'warn' | 'exhausted' | 'no-data';
}

export interface OverviewService {
  name: string;
  title: string | null;
  owner: string | null;
  tier: string | null;
  slos: OverviewSlo[];
  policy: { state: PolicyState };
}

export interface ServicePolicy {
  service: string;
  state: PolicyState;
  remainingRatio: number | null;
  actions: string[];
  rules: Array<{ whenRemainingBelow: number; actions: string[] }>;
  override: { reason: string; actor: string; until: number } | null;
}

// ---------- Alerts ----------
// The server's own types for what its alert API answers.

export type { AlertStatus } from '../../src/alerts/alert.model.ts';
export type AlertSeverity = Severity;
export type AlertUrgency = AlertOut['urgency'];
/** One alert. */
export type Alert = AlertOut;
export type SilenceState = SilenceOut['state'];
export type Silence = SilenceOut;
export type DeliveryAttempt = AttemptOut;
/** A notification whose last delivery attempt failed. */
export type DeadNotification = DeadNotificationOut;

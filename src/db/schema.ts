import type { Generated } from 'kysely';

/**
 * Table types for Kysely. Conventions that hold on both dialects:
 * - timestamps are integer milliseconds since the epoch (`bigint` on PostgreSQL, parsed to number);
 * - booleans are integers 0/1;
 * - structured values are JSON text (see `db/json.ts`).
 */
export interface Database {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  team_interactions: TeamInteractionsTable;
  catalog_entities: CatalogEntitiesTable;
  catalog_dependencies: CatalogDependenciesTable;
  journal: JournalTable;
  jobs: JobsTable;
  data_sources: DataSourcesTable;
  slis: SlisTable;
  slos: SlosTable;
  slas: SlasTable;
  error_budget_policies: ErrorBudgetPoliciesTable;
  policy_overrides: PolicyOverridesTable;
  maintenance_windows: MaintenanceWindowsTable;
  sli_minutes: SliMinutesTable;
  sli_hours: SliHoursTable;
  sli_histograms: SliHistogramsTable;
  sli_batches: SliBatchesTable;
  slo_alerts: SloAlertsTable;
  leases: LeasesTable;
  sli_pulls: SliPullsTable;
  probes: ProbesTable;
  probe_states: ProbeStatesTable;
  probe_minutes: ProbeMinutesTable;
  probe_hours: ProbeHoursTable;
  probe_results: ProbeResultsTable;
  probe_transitions: ProbeTransitionsTable;
  probe_alerts: ProbeAlertsTable;
  integrations: IntegrationsTable;
  alerts: AlertsTable;
  alert_events: AlertEventsTable;
  notification_targets: NotificationTargetsTable;
  notification_attempts: NotificationAttemptsTable;
  settings: SettingsTable;
  silences: SilencesTable;
  alert_policies: AlertPoliciesTable;
  alert_groups: AlertGroupsTable;
  alert_config_generation: AlertConfigGenerationTable;
  catalog_generation: CatalogGenerationTable;
}

export interface UsersTable {
  id: string;
  name: string;
  display_name: string | null;
  email: string | null;
  role: 'admin' | 'member';
  password_hash: string | null;
  source: string | null;
  created_at: number;
  updated_at: number;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  /** JSON array of scopes. */
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface SessionsTable {
  /** SHA-256 of the session secret held in the cookie. */
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export interface TeamsTable {
  id: string;
  name: string;
  title: string | null;
  description: string | null;
  type: string;
  /** JSON array of `{title, url}`. */
  links: string;
  source: string | null;
  created_at: number;
  updated_at: number;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  role: string;
}

export interface TeamInteractionsTable {
  team_id: string;
  with_team_id: string;
  mode: string;
  description: string | null;
}

export interface CatalogEntitiesTable {
  id: string;
  /** service | system | resource | api | domain */
  kind: string;
  name: string;
  title: string | null;
  description: string | null;
  /** Backstage `spec.type`: service, website, library, database, openapi, … */
  type: string | null;
  owner_team_id: string | null;
  /** Name of the system (or, for a system, the domain) this entity belongs to. */
  part_of: string | null;
  lifecycle: string | null;
  tier: string | null;
  runbook_url: string | null;
  /** JSON array of `{title, url}`. */
  links: string;
  /** JSON array of strings. */
  tags: string;
  /** JSON object of string → string. */
  annotations: string;
  source: string | null;
  created_at: number;
  updated_at: number;
}

export interface CatalogDependenciesTable {
  /** The entity that depends … */
  from_id: string;
  /** … on this one. */
  to_id: string;
}

export interface JournalTable {
  seq: Generated<number>;
  id: string;
  at: number;
  kind: string;
  actor: string;
  service_id: string | null;
  subject_type: string | null;
  subject_id: string | null;
  /** JSON object. */
  data: string;
}

export interface JobsTable {
  id: string;
  kind: string;
  /** JSON payload. */
  payload: string;
  /** Idempotency key: enqueueing the same key twice yields one job. */
  key: string | null;
  status: 'pending' | 'running' | 'done' | 'dead';
  run_at: number;
  attempts: number;
  max_attempts: number;
  lease_until: number | null;
  lease_owner: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

// ---------------------------------------------------------------------------------------------
// SLOs (0002_slo)

/** A definition row of the SLO module: the spec as normalized JSON, `source` the config-as-code owner. */
interface SloDefinitionColumns {
  id: string;
  name: string;
  /** JSON of the spec in normal form. */
  spec: string;
  source: string | null;
  created_at: number;
  updated_at: number;
}

export type DataSourcesTable = SloDefinitionColumns;

export interface SlisTable extends SloDefinitionColumns {
  /** Catalog entity id of the measured service (no foreign key; see the migration). */
  service_id: string | null;
}

export interface SlosTable extends SloDefinitionColumns {
  service_id: string | null;
  sli_id: string;
}

export interface SlasTable extends SloDefinitionColumns {
  slo_id: string;
}

export interface ErrorBudgetPoliciesTable {
  id: string;
  /** Service name; one policy per service. */
  service: string;
  service_id: string | null;
  spec: string;
  source: string | null;
  created_at: number;
  updated_at: number;
}

export interface PolicyOverridesTable {
  id: string;
  service: string;
  service_id: string | null;
  reason: string;
  actor: string;
  created_at: number;
  expires_at: number;
}

export type MaintenanceWindowsTable = SloDefinitionColumns;

export interface SliMinutesTable {
  sli_id: string;
  /** Epoch minute: floor(ms / 60 000). */
  minute: number;
  good: number;
  total: number;
}

export interface SliHoursTable {
  sli_id: string;
  /** Epoch hour: floor(ms / 3 600 000). */
  hour: number;
  good: number;
  total: number;
}

export interface SliHistogramsTable {
  sli_id: string;
  minute: number;
  /** JSON of a mergeable latency histogram (`slo/histogram.ts`). */
  histogram: string;
}

export interface SliBatchesTable {
  sli_id: string;
  batch_id: string;
  received_at: number;
  /** Range of epoch minutes the batch added to. */
  min_minute: number;
  max_minute: number;
  /** Accepted events. */
  events: number;
}

export interface SloAlertsTable {
  id: string;
  slo_id: string;
  objective: string;
  /** Burn-rate rule name, or `no-data`. */
  rule: string;
  severity: string;
  state: 'firing' | 'resolved';
  fired_at: number;
  resolved_at: number | null;
  /** JSON object: burn rates and thresholds at the time of firing. */
  data: string;
}

export interface LeasesTable {
  name: string;
  owner: string;
  /** Lease expiry (ms); another owner may claim it after. */
  until: number;
}

// ---------------------------------------------------------------------------------------------
// Pulling SLIs from Prometheus (0003_prometheus_pull)

export interface SliPullsTable {
  sli_id: string;
  /** JSON of what the pulled minutes were read with (data source URL, selectors); a change starts over. */
  definition: string;
  /** Epoch minutes `[pulled_from, pulled_to)` read from Prometheus so far; null before the first success. */
  pulled_from: number | null;
  /** The high-water mark: the first minute not pulled yet. */
  pulled_to: number | null;
  /** Last successful pull (ms). */
  pulled_at: number | null;
  /** Why the last attempt failed; null once a pull succeeds. */
  last_error: string | null;
  last_error_at: number | null;
}

// ---------------------------------------------------------------------------------------------
// Probes (0004_probes)

export interface ProbesTable {
  id: string;
  name: string;
  service_id: string;
  type: string;
  /** JSON of the ProbeSpec as written. */
  spec: string;
  enabled: number;
  source: string | null;
  heartbeat_key: string | null;
  created_at: number;
  updated_at: number;
}

export interface ProbeStatesTable {
  probe_id: string;
  status: 'up' | 'down' | 'unknown';
  since: number | null;
  failures: number;
  successes: number;
  last_check_at: number | null;
  last_ok: number | null;
  last_duration_ms: number | null;
  seq: number;
  last_ping_at: number | null;
}

export interface ProbeMinutesTable {
  probe_id: string;
  minute: number;
  total: number;
  ok: number;
  histogram: string | null;
}

export interface ProbeHoursTable {
  probe_id: string;
  hour: number;
  total: number;
  ok: number;
  histogram: string | null;
}

export interface ProbeResultsTable {
  probe_id: string;
  slot: number;
  at: number;
  ok: number;
  duration_ms: number;
  result: string;
}

export interface ProbeTransitionsTable {
  id: string;
  probe_id: string;
  at: number;
  from_status: string;
  to_status: string;
  reason: string;
}

export interface ProbeAlertsTable {
  id: string;
  probe_id: string;
  kind: 'down' | 'missed-heartbeat';
  state: 'firing' | 'resolved';
  opened_at: number;
  resolved_at: number | null;
  reason: string;
  excerpt: string;
}

// ---------------------------------------------------------------------------------------------
// Alerts (0005_alerts)

export interface IntegrationsTable {
  id: string;
  name: string;
  service_id: string;
  type: 'events-api-v2' | 'alertmanager' | 'webhook';
  key_hash: string;
  /** The key's first characters, to tell keys apart in lists. */
  key_hint: string;
  /** JSON: the webhook mapping, or `{}`. */
  config: string;
  rate_limit_per_minute: number;
  source: string | null;
  created_at: number;
  updated_at: number;
  revoked_at: number | null;
}

export interface AlertsTable {
  id: string;
  service_id: string;
  integration_id: string | null;
  origin: string;
  dedup_key: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  severity: 'critical' | 'error' | 'warning' | 'info';
  summary: string;
  source: string | null;
  component: string | null;
  grp: string | null;
  class: string | null;
  /** JSON object. */
  details: string;
  /** JSON arrays. */
  links: string;
  images: string;
  /** JSON object of string labels (Alertmanager labels, or derived from the payload). */
  labels: string;
  created_at: number;
  last_event_at: number;
  event_count: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  /** `high` pages at once; `low` waits for working hours (0007). */
  urgency: 'high' | 'low';
  /** Why nobody was notified: `silence:<id>`, `maintenance:<name>`, `inhibited:<alert id>`, `flapping`. */
  suppressed_by: string | null;
  /** When a deferred low-urgency alert is notified; null when it was not deferred. */
  notify_at: number | null;
}

export interface AlertEventsTable {
  id: string;
  alert_id: string | null;
  integration_id: string | null;
  received_at: number;
  action: string;
  dedup_key: string;
  /** The event as received (JSON). */
  payload: string;
}

// ---------------------------------------------------------------------------------------------
// Notifications (0006_notifications)

export interface NotificationTargetsTable {
  id: string;
  name: string;
  /** The service whose alerts go here; null for a fallback target. */
  service_id: string | null;
  /** JSON: a ChannelSpec, secrets included (never returned by the API). */
  channel: string;
  created_at: number;
  updated_at: number;
}

export interface NotificationAttemptsTable {
  id: string;
  job_id: string;
  target_id: string;
  alert_id: string | null;
  /** The notification kind, e.g. `alert.triggered`. */
  kind: string;
  attempt: number;
  at: number;
  ok: number;
  /** For failures: 1 when another attempt may help. */
  retryable: number | null;
  /** HTTP status or SMTP reply code, when there was one. */
  status: number | null;
  duration_ms: number;
  detail: string;
}

export interface SettingsTable {
  name: string;
  value: string;
}

// ---------------------------------------------------------------------------------------------
// Alert hygiene (0007_alert_hygiene)

export interface SilencesTable {
  id: string;
  /** JSON array of matchers in Alertmanager's syntax, e.g. `["service=\"checkout\""]`. */
  matchers: string;
  starts_at: number;
  ends_at: number;
  created_by: string;
  comment: string;
  created_at: number;
  updated_at: number;
}

export interface AlertPoliciesTable {
  service_id: string;
  /** JSON: the service's AlertPolicy spec in normal form. */
  spec: string;
  /** The manifest file it came from, when applied as code. */
  source: string | null;
  updated_at: number;
}

export interface AlertGroupsTable {
  service_id: string;
  /** JSON: the service's GroupingState. */
  state: string;
  updated_at: number;
}

/** One row (id 1): bumped by triggers on every change to what the alert pipeline reads. */
export interface AlertConfigGenerationTable {
  id: number;
  generation: number;
}

/** One row (id 1): bumped by triggers on every change to entities, dependencies and teams. */
export interface CatalogGenerationTable {
  id: number;
  generation: number;
}

export { type SloSimulator, startSloSimulator } from './simulator.ts';
export { registerSloCommands } from './slo.cli.ts';
export {
  BUDGETING_METHODS,
  BURN_RATE_WINDOWS,
  type BurnRateRule,
  DataSourceSpec,
  DEFAULT_BURN_RATE_RULES,
  ErrorBudgetPolicySpec,
  MaintenanceWindowSpec,
  type ObjectiveStatus,
  POLICY_ACTIONS,
  type PolicyAction,
  SlaSpec,
  SliSpec,
  SloSpec,
  TimeWindow,
} from './slo.model.ts';
export { registerSloRoutes } from './slo.routes.ts';
export {
  type ApplyResult,
  type DesiredSloState,
  type EvaluationResult,
  type IngestResult,
  MAX_BATCH_EVENTS,
  normalizeSloState,
  type OverviewService,
  type PolicyState,
  type ServicePolicy,
  SLI_RETENTION_MS,
  type SliEvent,
  type SliState,
  type SliSummary,
  type SloAlert,
  type SloSeries,
  SloService,
  type SloState,
  type SloStatus,
} from './slo.service.ts';

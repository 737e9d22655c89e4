export {
  type AlertPolicyHandlerDeps,
  type AlertPolicyPort,
  alertPolicyDocument,
  alertPolicyHandler,
  exportAlertPolicies,
  type StoredAlertPolicy,
} from './alert-policy.handler.ts';
export { ALERT_POLICY_HANDLER, type AlertPolicyFragment, registerAlertPolicyKinds } from './alert-policy.kinds.ts';
export { type CatalogPort, catalogHandler, desiredCatalog, exportDocuments } from './catalog.handler.ts';
export {
  ANNOTATIONS,
  BACKSTAGE_V1ALPHA1,
  CATALOG_HANDLER,
  type CatalogFragment,
  registerCatalogKinds,
  VIGIL_V1,
} from './catalog.kinds.ts';
export { type ReadOptions, readManifestFiles } from './files.ts';
export {
  exportIntegrations,
  type IntegrationHandlerDeps,
  type IntegrationPort,
  integrationDocument,
  integrationHandler,
} from './integration.handler.ts';
export { INTEGRATION_HANDLER, type IntegrationFragment, registerIntegrationKinds } from './integration.kinds.ts';
export {
  type AppliedSecret,
  type ExportedDocument,
  type ExportFormat,
  type FieldChange,
  type HandlerApplied,
  type HandlerContext,
  type HandlerPlan,
  type HandlerRef,
  handlerRef,
  type KindContext,
  type KindDefinition,
  KindRegistry,
  type Located,
  type ManifestHandler,
  type PlannedChange,
  type PlanOptions,
} from './kinds.ts';
export { registerManifestCommands } from './manifests.cli.ts';
export { registerManifestRoutes } from './manifests.routes.ts';
export { type ApplyResult, ManifestService, type ManifestServiceDeps, type Plan, type PlanSummary } from './manifests.service.ts';
export { exportOpenSlo, exportVigilSlo } from './openslo.export.ts';
export {
  type FieldPath,
  formatFieldPath,
  issueAt,
  type ManifestDocument,
  type ManifestFile,
  manifestError,
  parseManifestFile,
  parseManifests,
} from './parse.ts';
export {
  exportProbes,
  type ProbeHandlerDeps,
  type ProbePort,
  probeDocument,
  probeHandler,
  type StoredProbe,
} from './probe.handler.ts';
export { PROBE_HANDLER, type ProbeFragment, registerProbeKinds } from './probe.kinds.ts';
export { parseRef } from './refs.ts';
export { parseSloManifests, type SloHandlerDeps, type SloObjects, type SloPort, sloHandler } from './slo.handler.ts';
export { OPENSLO_V1, registerSloKinds, SLO_ANNOTATIONS, SLO_HANDLER, type SloFragment } from './slo.kinds.ts';

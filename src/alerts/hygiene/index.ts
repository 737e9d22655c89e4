/**
 * Alert hygiene: the pure decisions the alerting pipeline makes before it notifies anyone —
 * matchers, silences, inhibition, grouping, flap detection, urgency and working hours, and
 * maintenance windows. Nothing here touches a database or the clock; time comes in as numbers.
 */
export {
  DEFAULT_FLAPPING,
  detectFlapping,
  type FlappingOptions,
  type FlappingStatus,
} from './flapping.ts';
export {
  DEFAULT_GROUPING_POLICY,
  due,
  type FlushEvent,
  flushDue,
  type GroupedAlert,
  type GroupFlush,
  type GroupingPolicy,
  GroupingPolicyInput,
  type GroupingState,
  type GroupMember,
  type GroupNotification,
  type GroupState,
  groupKey,
  groupLabels,
  initialGroupingState,
  type NotifyReason,
  nextFlush,
  nextFlushAt,
  onAlert,
  parseGroupingPolicy,
  type SentNotification,
} from './grouping.ts';
export {
  CRITICAL_MUTES_WARNINGS,
  DEFAULT_INHIBIT_RULES,
  type InhibitionAlert,
  type InhibitRule,
  InhibitRuleInput,
  inhibitedBy,
  parseInhibitRules,
} from './inhibition.ts';
export { alertLabels, type LabelledAlert, type Labels, labelValue, quoteLabelValue } from './labels.ts';
export {
  inMaintenance,
  type MaintenanceWindow,
  MaintenanceWindowSchema,
  maintenanceOccurrence,
  type OneOffMaintenance,
  parseMaintenanceWindow,
  type RecurringMaintenance,
} from './maintenance.ts';
export {
  type ApiMatcher,
  ApiMatcherSchema,
  formatMatcher,
  formatMatchers,
  fromApiMatcher,
  MATCH_TYPES,
  type Matcher,
  type MatchType,
  matches,
  matchesEmpty,
  matchesValue,
  parseMatcher,
  parseMatcherElement,
  parseMatchers,
  toApiMatcher,
} from './matchers.ts';
export { compileAnchored, RegexSyntaxError, translateRe2 } from './regex.ts';
export { parseSilence, type Silence, SilenceInput, type SilenceState, silencedBy, silenceState } from './silences.ts';
export {
  DEFAULT_WORKING_HOURS,
  deferUntil,
  isWorkingTime,
  nextWorkingTime,
  parseWorkingHours,
  SEVERITY_URGENCY,
  type Urgency,
  type UrgencyOverrides,
  UrgencyOverridesSchema,
  urgencyOf,
  type WorkingHours,
  WorkingHoursSchema,
} from './urgency.ts';

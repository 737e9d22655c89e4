import { z } from 'zod';
import { Name } from '../catalog/catalog.model.ts';
import { type FieldIssue, InputError } from '../core/errors.ts';
import { type IntegrationType, SEVERITIES } from './alert.model.ts';
import { type Labels, labelValue } from './hygiene/labels.ts';
import { type Matcher, matchesValue, parseMatchers } from './hygiene/matchers.ts';
import { EVENT_ACTIONS, parseJsonPath, type WebhookMapping } from './webhook.ts';

/**
 * An integration's `config` (the `config` JSON column of `integrations`):
 * - `mapping`: for `webhook` integrations, where each event field is in the JSON a tool posts
 *   (see `webhook.ts`);
 * - `routes`: for any integration, label matchers that send an event to another catalog service
 *   than the integration's own. The first route whose matchers all match wins.
 */

const JsonPath = z
  .string({ error: 'required: a JSONPath such as $.alert.title' })
  .min(1)
  .max(500)
  .superRefine((path, ctx) => {
    const parsed = parseJsonPath(path);
    if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
  });

const Scalar = z.union([z.string().max(200), z.number(), z.boolean(), z.null()]);

export const WebhookMappingSchema = z
  .strictObject({
    summary: JsonPath,
    severity: JsonPath.optional(),
    severityMap: z
      .record(z.string().min(1).max(200), z.enum(SEVERITIES, { error: 'must be one of critical, error, warning or info' }))
      .optional(),
    dedupKey: JsonPath.optional(),
    action: JsonPath.optional(),
    actionMap: z
      .record(z.string().min(1).max(200), z.enum(EVENT_ACTIONS, { error: 'must be one of trigger, acknowledge or resolve' }))
      .optional(),
    resolveWhen: z.strictObject({ path: JsonPath, equals: z.union([Scalar, z.array(Scalar).min(1).max(50)]) }).optional(),
    source: JsonPath.optional(),
    labels: JsonPath.optional(),
    details: JsonPath.optional(),
    link: JsonPath.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.resolveWhen && m.action)
      ctx.addIssue({ code: 'custom', path: ['resolveWhen'], message: 'use action (with actionMap) or resolveWhen, not both' });
    if (m.actionMap && !m.action)
      ctx.addIssue({ code: 'custom', path: ['actionMap'], message: 'needs action: the path it maps' });
    if (m.severityMap && !m.severity)
      ctx.addIssue({ code: 'custom', path: ['severityMap'], message: 'needs severity: the path it maps' });
  });

export const IntegrationRouteSchema = z.strictObject({
  /** Alertmanager matchers, e.g. `team="payments"` or `severity=~"critical|error"`; all must match. */
  match: z.array(z.string().min(1).max(1000)).min(1).max(50),
  service: Name,
});
export type IntegrationRoute = z.output<typeof IntegrationRouteSchema>;

export const IntegrationConfigSchema = z.strictObject({
  mapping: WebhookMappingSchema.optional(),
  routes: z.array(IntegrationRouteSchema).max(100).optional(),
});

// A type, not an interface, so that it fits the API's JSON object schemas.
export type IntegrationConfig = {
  mapping?: WebhookMapping;
  routes?: IntegrationRoute[];
};

/** `config.routes[0].match` from a zod path. */
export function fieldPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string') out += out === '' ? p : `.${p}`;
  }
  return out;
}

/**
 * Validates a config for an integration of `type`. Throws an {@link InputError} whose issues name
 * the fields under `prefix` (`config.mapping.summary`, `config.routes[1].match[0]`). Route
 * services are only checked for their form here; the service checks that they exist.
 */
export function parseIntegrationConfig(input: unknown, type: IntegrationType, prefix = 'config'): IntegrationConfig {
  const parsed = IntegrationConfigSchema.safeParse(input ?? {});
  const issues: FieldIssue[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) issues.push({ path: fieldPath(prefix, [...issue.path, key]), message: 'unknown field' });
      } else {
        issues.push({ path: fieldPath(prefix, issue.path), message: issue.message });
      }
    }
    throw new InputError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  }
  const config = parsed.data as IntegrationConfig;
  if (config.mapping && type !== 'webhook') {
    issues.push({
      path: `${prefix}.mapping`,
      message: `only webhook integrations read a mapping; ${type} has a format of its own`,
    });
  }
  for (const [i, route] of (config.routes ?? []).entries()) {
    try {
      parseMatchers(route.match, fieldPath(prefix, ['routes', i, 'match']));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new InputError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  return normalConfig(config);
}

/** Without empty parts, so that `{}` and `{routes: []}` are the same stored config. */
export function normalConfig(config: IntegrationConfig): IntegrationConfig {
  const out: IntegrationConfig = {};
  if (config.mapping) out.mapping = config.mapping;
  if (config.routes && config.routes.length > 0) out.routes = config.routes;
  return out;
}

/** A stored config (the column's JSON); anything unreadable reads as no config. */
export function storedConfig(json: string): IntegrationConfig {
  try {
    const parsed = IntegrationConfigSchema.safeParse(JSON.parse(json));
    return parsed.success ? normalConfig(parsed.data as IntegrationConfig) : {};
  } catch {
    return {};
  }
}

const compiledRoutes = new WeakMap<IntegrationRoute, Matcher[]>();

function matchersOf(route: IntegrationRoute): Matcher[] {
  let matchers = compiledRoutes.get(route);
  if (!matchers) {
    matchers = parseMatchers(route.match, 'match');
    compiledRoutes.set(route, matchers);
  }
  return matchers;
}

/**
 * The service an event goes to by the integration's routes: the `service` of the first route
 * whose matchers all match `labels`, or null when none does (the event stays on the
 * integration's own service). Pass the event's labels with its `severity` among them. A missing
 * label matches as `""`, as in Alertmanager.
 */
export function routeFor(config: IntegrationConfig, labels: Labels): string | null {
  for (const route of config.routes ?? []) {
    if (matchersOf(route).every((m) => matchesValue(m, labelValue(labels, m.name)))) return route.service;
  }
  return null;
}

import type { Severity } from '../alert.model.ts';

/**
 * Label sets, as Alertmanager sees an alert: a flat map of names to values. Vigil's alerts keep
 * their service and severity in fields of their own; {@link alertLabels} shows them as labels too,
 * so that matchers, inhibition rules and `group_by` can name `service` and `severity`.
 */
export type Labels = Readonly<Record<string, string>>;

/** The parts of a stored alert that its label set is made of. */
export interface LabelledAlert {
  labels: Labels;
  /** The service's name; becomes the `service` label. */
  service?: string | null;
  severity?: Severity | null;
}

/**
 * The alert's labels with `service` and `severity` added from its own fields. Those fields win
 * over labels of the same name, so a sender cannot file a critical alert as `severity="info"`
 * and slip past an inhibition rule.
 */
export function alertLabels(alert: LabelledAlert): Labels {
  const out: Record<string, string> = { ...alert.labels };
  if (alert.service) out.service = alert.service;
  if (alert.severity) out.severity = alert.severity;
  return out;
}

/**
 * A label's value as Alertmanager reads it: a missing label is the empty string, so
 * `env=""` matches alerts without `env`, and two alerts both missing `env` agree on it.
 */
export function labelValue(labels: Labels, name: string): string {
  return Object.hasOwn(labels, name) ? (labels[name] ?? '') : '';
}

/** A string double-quoted with `\\`, newline and `"` escaped, as Alertmanager prints label values. */
export function quoteLabelValue(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`;
}

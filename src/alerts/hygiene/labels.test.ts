import { describe, expect, it } from 'vitest';
import { alertLabels, labelValue } from './labels.ts';

describe('alertLabels', () => {
  it('adds service and severity from the alert’s own fields, which win over labels', () => {
    expect(alertLabels({ labels: { env: 'prod', severity: 'info' }, service: 'api', severity: 'critical' })).toEqual({
      env: 'prod',
      service: 'api',
      severity: 'critical',
    });
    expect(alertLabels({ labels: { service: 'from-label' }, service: null })).toEqual({ service: 'from-label' });
  });
});

describe('labelValue', () => {
  it('reads a missing label as the empty string, and does not see inherited properties', () => {
    expect(labelValue({ a: '1' }, 'a')).toBe('1');
    expect(labelValue({ a: '1' }, 'b')).toBe('');
    expect(labelValue({}, 'constructor')).toBe('');
  });
});

import { describe, expect, it } from 'vitest';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { KubeStatusError } from './status.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', 'meridian.dev/region': 'eu-west' };
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=api', false],
    ['tier in (front, back)', true],
    ['tier notin (front)', false],
    ['meridian.dev/region', true],
    ['!meridian.dev/region', false],
    ['!legacy', true],
    ['legacy!=x', true],
    ['app=web,tier in (back)', false],
    ['app=web, meridian.dev/region in (eu-west,us-east), !legacy', true],
    ['', true],
  ])('%s → %s', (selector, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });

  it('rejects a malformed selector with 400', () => {
    expect(() => parseLabelSelector('app=(x')).toThrow(KubeStatusError);
    try {
      parseLabelSelector('a b c');
    } catch (error) {
      expect((error as KubeStatusError).status).toMatchObject({ code: 400, reason: 'BadRequest' });
    }
  });
});

describe('field selectors', () => {
  const object = { metadata: { name: 'web', namespace: 'shop' } };
  it('matches metadata.name and metadata.namespace with = and !=', () => {
    expect(parseFieldSelector('metadata.name=web', 'ConfigMap')(object)).toBe(true);
    expect(parseFieldSelector('metadata.name!=web,metadata.namespace=shop', 'ConfigMap')(object)).toBe(false);
    expect(parseFieldSelector('metadata.namespace==shop', 'ConfigMap')(object)).toBe(true);
  });
  it('rejects fields the type does not index, with 400', () => {
    expect(() => parseFieldSelector('spec.replicas=1', 'Deployment')).toThrow(/field label not supported: spec.replicas/);
  });
});

// The config loader in-process: every error names file:line:col and the path.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { parseDuration } from '../src/duration.js';
import { CliError, EXIT } from '../src/exit-codes.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function errorOf(file: string, text: string): Promise<CliError> {
  writeFileSync(join(dir, file), text);
  const error = await loadConfig({ cwd: dir, path: file }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CliError);
  expect((error as CliError).exitCode).toBe(EXIT.USAGE);
  return error as CliError;
}

const GOOD = `app:
  name: shop
provider:
  kind: local
regions:
  - id: us-east
    location: { lat: 37.5, lon: -77.5 }
  - id: eu-west
    location:
      lat: 53.3
      lon: -6.2
`;

describe('loadConfig', () => {
  it('fills in every default', async () => {
    writeFileSync(join(dir, 'good.yaml'), GOOD);
    const { config, displayPath } = await loadConfig({ cwd: dir, path: 'good.yaml' });
    expect(displayPath).toBe('good.yaml');
    expect(config.agent).toEqual({ host: '127.0.0.1', port: 0 });
    expect(config.health).toMatchObject({ intervalMillis: 5_000, timeoutMillis: 2_000, path: '/health' });
    expect(config.failover).toMatchObject({ mode: 'active-passive', automatic: true, lease: { ttlMillis: 15_000, renewMillis: 5_000 } });
    expect(config.sync).toMatchObject({ enabled: false, conflictPolicy: 'latest-wins', intervalMillis: 1_000 });
    expect(config.sessions).toMatchObject({ store: 'memory', keyEnv: 'MERIDIAN_SNAPSHOT_KEY' });
    expect(config.regions[0]).toMatchObject({ weight: 100, replicas: 1 });
  });

  it('finds meridian.config.* in the working directory, and refuses two', async () => {
    const own = mkdtempSync(join(dir, 'find-'));
    await expect(loadConfig({ cwd: own })).rejects.toThrow(/no config file: none of meridian\.config\.yaml/);
    writeFileSync(join(own, 'meridian.config.json'), JSON.stringify({ app: { name: 'x' }, provider: { kind: 'local' }, regions: [{ id: 'a', location: { lat: 1, lon: 2 } }] }));
    expect((await loadConfig({ cwd: own })).displayPath).toBe('meridian.config.json');
    writeFileSync(join(own, 'meridian.config.yaml'), GOOD);
    await expect(loadConfig({ cwd: own })).rejects.toThrow(/more than one config file/);
  });

  it('names file, line, column and path of a value out of range, with the value', async () => {
    const error = await errorOf('meridian.config.yaml', GOOD.replace('lat: 53.3', 'lat: 123'));
    expect(error.message).toBe('meridian.config.yaml:10:7: regions[1].location.lat: must be <= 90 (got 123)');
  });

  it('lists every problem in file order: unknown keys, bad enums, missing fields, cross-field rules', async () => {
    const text = GOOD.replace('  kind: local', '  kind: aws').replace('    location: { lat: 37.5, lon: -77.5 }', '    locaton: { lat: 37.5, lon: -77.5 }') + 'failover:\n  mode: sideways\n';
    const lines = (await errorOf('many.yaml', text)).message.split('\n');
    expect(lines).toEqual([
      'many.yaml:4:3: provider.kind: unknown provider kind: must be one of "local", "kubernetes", "azure" (got "aws")',
      'many.yaml:6:5: regions[0].location: is required',
      'many.yaml:7:5: regions[0]: unknown key "locaton"',
      'many.yaml:13:3: failover.mode: must be "active-passive" or "active-active" (got "sideways")',
    ]);
    const rules = await errorOf('rules.yaml', `${GOOD}health:\n  intervalMillis: 1000\n  timeoutMillis: 1000\n`);
    expect(rules.message).toBe('rules.yaml:14:3: health.timeoutMillis: must be smaller than health.intervalMillis (1000) (got 1000)');
    const dup = await errorOf('dup-region.yaml', GOOD.replace('id: eu-west', 'id: us-east'));
    expect(dup.message).toBe('dup-region.yaml:8:5: regions[1].id: duplicate region id (also regions[0].id) (got "us-east")');
  });

  it('takes an availability threshold as a fraction and says so when given a percentage', async () => {
    writeFileSync(join(dir, 'degraded.yaml'), `${GOOD}health:\n  degradedAvailability: 0.95\n  availabilityWindow: 50\n`);
    expect((await loadConfig({ cwd: dir, path: 'degraded.yaml' })).config.health).toMatchObject({ degradedAvailability: 0.95, availabilityWindow: 50 });
    const percent = await errorOf('percent.yaml', `${GOOD}health:\n  degradedAvailability: 95\n`);
    expect(percent.message).toBe('percent.yaml:13:3: health.degradedAvailability: must be a fraction up to 1 (0.95 for 95 %) (got 95)');
  });

  it('refuses an admin API host that is not loopback', async () => {
    const error = await errorOf('host.yaml', `${GOOD}agent:\n  host: 0.0.0.0\n`);
    expect(error.message).toMatch(/^host\.yaml:13:3: agent\.host: must be a loopback address/);
  });

  it('gives file:line:col for YAML syntax errors and duplicate keys', async () => {
    expect((await errorOf('syntax.yaml', 'app:\n  name: x\n regions: [\n')).message).toMatch(/^syntax\.yaml:3:\d+: invalid YAML: /);
    expect((await errorOf('twice.yaml', 'app:\n  name: x\napp: 3\n')).message).toBe('twice.yaml:3:1: invalid YAML: Map keys must be unique');
  });

  it('gives file:line:col for JSON syntax errors, which V8 does not always place', async () => {
    expect((await errorOf('trailing.json', '{\n  "app": { "name": "x" },\n  "regions": [1,],\n}\n')).message).toBe('trailing.json:3:17: invalid JSON: expected a value, found "]"');
    expect((await errorOf('word.json', '{\n  "app": tru\n}\n')).message).toBe('word.json:2:10: invalid JSON: expected a value, found "t"');
    expect((await errorOf('comma.json', '{\n  "a": 1\n  "b": 2\n}\n')).message).toBe("comma.json:3:3: invalid JSON: expected ',' or '}', found \"\\\"\"");
    expect((await errorOf('dupkey.json', '{"app": 1, "app": 2}')).message).toBe('dupkey.json:1:12: invalid JSON: Map keys must be unique');
  });

  it('reads JSON and YAML that start with a UTF-8 byte order mark (as Windows editors write them), positions unchanged', async () => {
    const json = JSON.stringify({ app: { name: 'shop' }, provider: { kind: 'local' }, regions: [{ id: 'a', location: { lat: 1, lon: 2 } }] }, null, 2);
    for (const [file, text] of [['bom.json', json], ['bom.yaml', GOOD]] as const) {
      writeFileSync(join(dir, file), `\ufeff${text}`);
      const { config } = await loadConfig({ cwd: dir, path: file });
      expect(config.app.name).toBe('shop');
    }
    expect((await errorOf('bom-bad.json', `\ufeff${json.replace('"lon": 2', '"lon": 500')}`)).message).toBe('bom-bad.json:13:9: regions[0].location.lon: must be <= 180 (got 500)');
    expect((await errorOf('bom-bad.yaml', `\ufeff${GOOD.replace('lat: 53.3', 'lat: 123')}`)).message).toBe('bom-bad.yaml:10:7: regions[1].location.lat: must be <= 90 (got 123)');
  });

  it('refuses a YAML alias bomb as a config error naming the file', async () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const error = await errorOf('bomb.yaml', `${levels.join('\n')}\n`);
    expect(error.message).toBe('bomb.yaml:2:8: invalid YAML: too many alias expansions (more than 100, aliases of aliases): Excessive alias count indicates a resource exhaustion attack');
  });

  it('places schema errors in JSON files too', async () => {
    const json = JSON.stringify({ app: { name: 'shop' }, provider: { kind: 'local' }, regions: [{ id: 'a', location: { lat: 1, lon: 500 } }] }, null, 2);
    expect((await errorOf('schema.json', json)).message).toBe('schema.json:13:9: regions[0].location.lon: must be <= 180 (got 500)');
  });
});

describe('parseDuration', () => {
  it('reads 500ms, 30s, 5m, 1h and combinations', () => {
    expect([parseDuration('500ms'), parseDuration('30s'), parseDuration('5m'), parseDuration('1h'), parseDuration('1m30s'), parseDuration('1.5s')]).toEqual([500, 30_000, 300_000, 3_600_000, 90_000, 1_500]);
  });

  it('refuses anything else as a usage error', () => {
    for (const bad of ['', '5', 'five minutes', '5 m', '0s', '-1s', '5mm']) {
      expect(() => parseDuration(bad)).toThrow(CliError);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig } from '../../src/config.js';
import { BoldstreamError } from '../../src/errors.js';

describe('config', () => {
  it('fills every default and freezes the result', () => {
    const config = defaultConfig();
    expect(config.pipeline.motion.headRadiusMm).toBe(50);
    expect(config.pipeline.hrfDelaySec).toBe(5);
    expect(Object.isFrozen(config.pipeline)).toBe(true);
  });

  it('rejects unknown keys and bad values with CONFIG_INVALID', () => {
    const bad = () => loadConfig({ overrides: { server: { port: -1 } }, useEnvironment: false });
    expect(bad).toThrow(BoldstreamError);
    expect(bad).toThrow(/server.port/);
    expect(() => loadConfig({ overrides: { nonsense: 1 } as never, useEnvironment: false })).toThrow(/CONFIG|schema/);
  });
});

describe('config files', () => {
  it('config/defaults.json is the schema defaults (regenerate: npx tsx scripts/print-config.ts > config/defaults.json)', async () => {
    const { readFile } = await import('node:fs/promises');
    const shipped = JSON.parse(await readFile(new URL('../../config/defaults.json', import.meta.url), 'utf8')) as unknown;
    expect(shipped).toEqual(JSON.parse(JSON.stringify(defaultConfig())));
  });

  it('every example in config/ validates', async () => {
    const { readdir } = await import('node:fs/promises');
    const dir = new URL('../../config/', import.meta.url);
    for (const name of await readdir(dir)) {
      if (name.endsWith('.json')) expect(() => loadConfig({ file: new URL(name, dir).pathname, useEnvironment: false })).not.toThrow();
    }
  });
});

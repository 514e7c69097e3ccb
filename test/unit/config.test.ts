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

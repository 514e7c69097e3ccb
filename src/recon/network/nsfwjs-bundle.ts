/**
 * The pretrained networks that ship inside the `nsfwjs` npm package (MIT), read from its files
 * alone: an `npm ci` installs them, and loading them needs neither network access nor nsfwjs code.
 *
 * nsfwjs 4.3 packs each model as browserify UMD bundles in `dist/models/<name>/`: `model.min.js`
 * exports the model.json object (topology and weights manifest), and each
 * `group1-shardKofN.min.js` exports one weight shard as a base64 string. Under CommonJS the UMD
 * wrapper assigns the value to `module.exports` without touching globals, so `require` gives us
 * the values; nsfwjs itself imports the same files and decodes the same way (its JSONHandler).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { BoldstreamError } from '../../errors.js';

export type NsfwjsModelName = 'mobilenet_v2' | 'mobilenet_v2_mid' | 'inception_v3';

const require = createRequire(import.meta.url);

/** `node_modules/nsfwjs/dist/models`, found from the package's entry (its `exports` map hides the files). */
export function nsfwjsModelsDir(): string {
  let entry: string;
  try {
    entry = require.resolve('nsfwjs');
  } catch (thrown) {
    throw new BoldstreamError('FEATURE_NETWORK_NOT_FOUND', 'the nsfwjs package is not installed (npm ci)', { cause: thrown });
  }
  // entry: <pkg>/dist/cjs/index.js
  return path.join(path.dirname(path.dirname(entry)), 'models');
}

function requireBundle(file: string): unknown {
  try {
    const value: unknown = require(file);
    // The bundles hold megabytes of base64 text; keep only what we decode.
    delete require.cache[file];
    return value;
  } catch (thrown) {
    const missing = (thrown as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    throw new BoldstreamError(missing ? 'FEATURE_NETWORK_NOT_FOUND' : 'FEATURE_NETWORK_INVALID', `nsfwjs bundle ${path.basename(file)}`, { cause: thrown });
  }
}

/** The artifacts of one bundled network, for tf.io.fromMemory. */
export function nsfwjsArtifacts(name: NsfwjsModelName): TF.io.ModelArtifacts {
  const dir = path.join(nsfwjsModelsDir(), name);
  const json = requireBundle(path.join(dir, 'model.min.js')) as Partial<TF.io.ModelJSON>;
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || !Array.isArray(json.weightsManifest)) {
    throw new BoldstreamError('FEATURE_NETWORK_INVALID', `nsfwjs bundle ${name}/model.min.js holds no model.json`);
  }
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  // Each manifest path `group1-shard1of1` is the bundle `group1-shard1of1.min.js`.
  const weightData = json.weightsManifest
    .flatMap((group) => group.paths)
    .map((shard) => {
      const base64 = requireBundle(path.join(dir, `${path.basename(shard)}.min.js`));
      if (typeof base64 !== 'string') throw new BoldstreamError('FEATURE_NETWORK_INVALID', `nsfwjs bundle ${name}/${shard}.min.js holds no weight data`);
      const bytes = Buffer.from(base64, 'base64');
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    });
  const artifacts: TF.io.ModelArtifacts = { modelTopology: json.modelTopology, weightSpecs, weightData };
  if (json.format !== undefined) artifacts.format = json.format;
  if (json.userDefinedMetadata !== undefined) artifacts.userDefinedMetadata = json.userDefinedMetadata;
  return artifacts;
}

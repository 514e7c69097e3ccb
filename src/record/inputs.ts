/**
 * A recording keeps the inputs that shaped its records besides the volumes and events: the ROI masks,
 * the model bundle and the feature bundle. Replaying a recording then needs nothing else, and still
 * gives the same records (and reconstructs its trials again) after the original mask files have moved
 * or the models were retrained.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleFiles } from '../decode/bundle.js';
import { featureBundleFiles } from '../decode/features/bundle.js';
import { readNiftiFile, writeNiftiFile } from '../ingest/nifti/index.js';
import type { MaskImage } from '../pipeline/run-state.js';
import { type LoadedFeatureModel, loadFeatureModelDir } from '../session/loaded-feature-model.js';
import { type LoadedModel, loadModelDir } from '../session/loaded-model.js';
import { recordingFiles } from './layout.js';

export async function saveSessionInputs(dir: string, masks: readonly MaskImage[], model: LoadedModel | null, featureModel: LoadedFeatureModel | null = null): Promise<void> {
  if (masks.length > 0) {
    const folder = path.join(dir, recordingFiles.masks);
    await mkdir(folder, { recursive: true });
    for (const m of masks) await writeNiftiFile(path.join(folder, `${encodeURIComponent(m.name)}.nii.gz`), { grid: m.grid, data: m.data, description: `boldstream ROI ${m.name}`.slice(0, 79) });
  }
  if (model) {
    const folder = path.join(dir, recordingFiles.model);
    await mkdir(folder, { recursive: true });
    for (const [name, bytes] of Object.entries(bundleFiles(model.bundle))) await writeFile(path.join(folder, name), bytes);
  }
  if (featureModel) {
    // 8 bytes per unit and voxel: 32 MB for the default MobileNetV2 bundle, 12 MB for pixels alone.
    const folder = path.join(dir, recordingFiles.featureModel);
    await mkdir(folder, { recursive: true });
    for (const [name, bytes] of Object.entries(featureBundleFiles(featureModel.bundle))) await writeFile(path.join(folder, name), bytes);
  }
}

/** True when `dir` is a session recording (it has a session.json). */
export async function isRecordingDir(dir: string): Promise<boolean> {
  return stat(path.join(dir, recordingFiles.session)).then((s) => s.isFile(), () => false);
}

/** The masks and models a recorded session used; each model keeps the name the session knew it by. */
export async function loadSessionInputs(
  dir: string,
  modelName?: string,
  featureModelName?: string,
): Promise<{ masks: MaskImage[]; model: LoadedModel | null; featureModel: LoadedFeatureModel | null }> {
  const maskFolder = path.join(dir, recordingFiles.masks);
  const names = (await readdir(maskFolder).catch(() => [] as string[])).filter((n) => n.endsWith('.nii.gz')).sort();
  const masks: MaskImage[] = [];
  for (const file of names) {
    const image = await readNiftiFile(path.join(maskFolder, file));
    masks.push({ name: decodeURIComponent(file.slice(0, -'.nii.gz'.length)), grid: image.grid, data: image.frame(0) });
  }
  const model = await loadModelDir(path.join(dir, recordingFiles.model)).catch(() => null);
  const featureFolder = path.join(dir, recordingFiles.featureModel);
  // A recording without a feature bundle is normal; one whose bundle cannot be read is said, not hidden.
  const featureModel = (await stat(featureFolder).then(() => true, () => false)) ? await loadFeatureModelDir(featureFolder, featureModelName ?? 'feature-model') : null;
  return { masks, model: model ? { ...model, name: modelName ?? model.name } : null, featureModel };
}

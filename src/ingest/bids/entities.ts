/**
 * BIDS file names: `sub-01_ses-a_task-faces_run-1_bold.nii.gz` is entities (key-label pairs in
 * order), a suffix (`bold`) and an extension (`.nii.gz`). Names that do not follow the pattern are
 * not BIDS files and parse to null; callers skip them.
 */

export interface BidsName {
  /** Key to label, in file-name order: { sub: '01', ses: 'a', task: 'faces', run: '1' }. */
  readonly entities: Readonly<Record<string, string>>;
  readonly suffix: string;
  /** Everything from the first dot: '.nii.gz', '.json', '.tsv'. */
  readonly extension: string;
}

const KEY = /^[a-zA-Z]+$/;
const LABEL = /^[a-zA-Z0-9+]+$/;

export function parseBidsName(fileName: string): BidsName | null {
  const dot = fileName.indexOf('.');
  const stem = dot < 0 ? fileName : fileName.slice(0, dot);
  const extension = dot < 0 ? '' : fileName.slice(dot);
  const parts = stem.split('_');
  const suffix = parts.pop();
  if (!suffix || !LABEL.test(suffix)) return null;
  const entities: Record<string, string> = {};
  for (const part of parts) {
    const dash = part.indexOf('-');
    const key = part.slice(0, dash);
    const label = part.slice(dash + 1);
    if (dash < 1 || !KEY.test(key) || !LABEL.test(label) || key in entities) return null;
    entities[key] = label;
  }
  return { entities, suffix, extension };
}

/** True when every entity of `general` is in `specific` with the same label (BIDS inheritance). */
export function entitiesApply(general: Readonly<Record<string, string>>, specific: Readonly<Record<string, string>>): boolean {
  return Object.entries(general).every(([key, label]) => specific[key] === label);
}

/** The run index as a number (`run-01` is 1), or null when absent or not an integer. */
export function runIndex(entities: Readonly<Record<string, string>>): number | null {
  const label = entities.run;
  return label !== undefined && /^\d+$/.test(label) ? Number(label) : null;
}

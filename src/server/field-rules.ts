/**
 * Limits and the few field rules that the proto cannot say, keyed `Message.field`.
 *
 * The proto gives types; these add what a wall at the socket needs: caps on sizes so that a message
 * cannot make the server allocate without bound, patterns for names that become folder names, and
 * closed vocabularies. What makes a pushed volume unusable (dims, affine, data length) is not here on
 * purpose: such a volume becomes an error record for its TR and the session goes on.
 */
import { safeNamePattern } from './paths.js';

export const limits = {
  /** Elements in one repeated field (events in a schedule, warnings in a record). */
  maxItems: 10_000,
  /** Entries in one map (ROI values, class scores). */
  maxMapEntries: 1_000,
  /** Characters in one string value. */
  maxString: 4_096,
  /** Characters in one map key. */
  maxKey: 256,
} as const;

export interface FieldRule {
  /** The string must match (names that become folders or files on the server). */
  readonly pattern?: RegExp;
  /** The string must be one of these. */
  readonly oneOf?: readonly string[];
  /** Each number must be at least this. */
  readonly min?: number;
  /** Fewer elements than limits.maxItems. */
  readonly maxItems?: number;
  /** The field may be absent when this sibling field is present (TrRecord: `error` instead of data). */
  readonly requiredUnless?: string;
}

const sessionId: FieldRule = { pattern: safeNamePattern };

export const fieldRules: Readonly<Record<string, FieldRule>> = {
  'Subscribe.session': { pattern: /^(\*|(?!\.{1,2}$)[A-Za-z0-9._-]{1,64})$/ },
  'Unsubscribe.session': { pattern: /^(\*|(?!\.{1,2}$)[A-Za-z0-9._-]{1,64})$/ },
  'EndSession.session': sessionId,
  'VolumePush.session': sessionId,
  'EventMessage.session': sessionId,
  'SessionSpec.id': sessionId,
  'SessionSpec.model': sessionId,
  'SourceSpec.kind': { oneOf: ['replay', 'watch', 'push', 'recording'] },
  'SourceSpec.speed': { min: 0 },
  'EventMarker.duration': { min: 0 },
  // A small array that a broken client could make huge; the push source checks the exact length.
  'VolumePush.dims': { maxItems: 8 },
  'VolumePush.voxelSize': { maxItems: 8 },
  'VolumePush.affine': { maxItems: 32 },
  'MaskSpec.name': { pattern: /^[^\0/\\]{1,64}$/ },
  'SessionSpec.masks': { maxItems: 64 },
  'TrRecord.receivedAt': { requiredUnless: 'error' },
};

export function ruleFor(typeName: string, field: string): FieldRule | undefined {
  const key = `${typeName}.${field}`;
  return Object.hasOwn(fieldRules, key) ? fieldRules[key] : undefined;
}

/**
 * The error catalogue (src/errors.ts) and docs/errors.md say the same thing: every code has an entry,
 * in catalogue order, quoting its summary and giving its HTTP status and WebSocket close code; the
 * docs name no code the catalogue lacks. Codes are a public contract, so a code added to the
 * catalogue without an entry in the docs fails here rather than reaching users undocumented.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogue } from '../../src/errors.js';
import { repoRoot } from '../helpers/paths.js';

interface DocEntry {
  readonly code: string;
  readonly summary: string | null;
  readonly status: number | null;
  readonly wsClose: number | null;
}

const readDoc = (name: string): string => readFileSync(path.join(repoRoot, 'docs', name), 'utf8');

/** `### \`CODE\`` opens an entry; the entry runs to the next heading of any level. */
function entriesOf(markdown: string): DocEntry[] {
  const entries: DocEntry[] = [];
  const lines = markdown.split('\n');
  lines.forEach((line, i) => {
    const heading = /^### `([A-Z0-9_]+)`\s*$/.exec(line);
    if (!heading) return;
    const end = lines.findIndex((l, j) => j > i && /^#{1,6} /.test(l));
    const body = lines.slice(i + 1, end === -1 ? undefined : end);
    const quote = body.find((l) => l.startsWith('> '));
    const facts = body.map((l) => /^HTTP (\d{3}) · WebSocket close (\d{4}) · /.exec(l)).find((m) => m !== null);
    entries.push({
      code: heading[1]!,
      summary: quote ? quote.slice(2).trim() : null,
      status: facts ? Number(facts[1]) : null,
      wsClose: facts ? Number(facts[2]) : null,
    });
  });
  return entries;
}

/** Inline code spans shaped like a catalogue code; environment variables are not codes. */
function codeLikeNames(markdown: string): Set<string> {
  const names = [...markdown.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((m) => m[1]!);
  return new Set(names.filter((n) => !n.startsWith('BOLDSTREAM_')));
}

const codes = Object.keys(catalogue) as (keyof typeof catalogue)[];
const errorsDoc = readDoc('errors.md');
const documented = entriesOf(errorsDoc);

describe('docs/errors.md and the error catalogue', () => {
  it('documents every catalogue code', () => {
    const have = new Set(documented.map((e) => e.code));
    expect(codes.filter((c) => !have.has(c)), 'codes in src/errors.ts without an entry in docs/errors.md').toEqual([]);
  });

  it('has no entry for a code the catalogue lacks, and no code twice', () => {
    expect(documented.map((e) => e.code).filter((c) => !(c in catalogue)), 'entries for unknown codes').toEqual([]);
    const seen = documented.map((e) => e.code);
    expect(seen.filter((c, i) => seen.indexOf(c) !== i), 'codes documented twice').toEqual([]);
  });

  it('lists the codes grouped and ordered as the catalogue', () => {
    const inDoc = documented.map((e) => e.code).filter((c) => c in catalogue);
    const inCatalogue = codes.filter((c) => inDoc.includes(c));
    const firstOutOfPlace = inDoc.find((c, i) => c !== inCatalogue[i]);
    expect(firstOutOfPlace, 'first entry of docs/errors.md that is not where src/errors.ts lists its code').toBeUndefined();
  });

  it('gives each code the summary, HTTP status and close code of the catalogue', () => {
    const wrong = documented
      .filter((e) => e.code in catalogue)
      .flatMap((e) => {
        const want = catalogue[e.code as keyof typeof catalogue];
        const got = { summary: e.summary, status: e.status, wsClose: e.wsClose };
        return got.summary === want.summary && got.status === want.status && got.wsClose === want.wsClose ? [] : [{ code: e.code, doc: got, catalogue: want }];
      });
    expect(wrong, 'entries whose summary line ("> …") or facts line ("HTTP … · WebSocket close … · seen as: …") differ from src/errors.ts').toEqual([]);
  });

  it.each(['errors.md', 'records.md'])('docs/%s names only codes of the catalogue', (name) => {
    const unknown = [...codeLikeNames(readDoc(name))].filter((n) => !(n in catalogue));
    expect(unknown, `code-like names in docs/${name} that src/errors.ts does not define`).toEqual([]);
  });
});

/**
 * A scanner export imitated: files copied into a folder slowly, each in several pieces with pauses, a
 * few at a time, from a separate process so that its writes really interleave with the watcher's reads
 * (K01/K02). Cut points and pauses come from a seeded generator: every run writes the same way.
 *
 * Used two ways: tests call `runSlowWriter(plan)`, which starts this file as a child process
 * (`node --import tsx slow-writer.ts <plan as JSON>`) and resolves when it has written everything.
 */
import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { repoRoot } from './paths.js';
import { Random } from '../../src/synth/random.js';

export interface WritePlan {
  /** Folder written into. */
  readonly dir: string;
  /** In the order they are started: a source file and the name it gets in `dir`. */
  readonly files: readonly { readonly from: string; readonly name: string }[];
  /** Pieces per file (at least 1). */
  readonly pieces: number;
  /** Pause after each piece, ms, drawn between the two bounds. */
  readonly pauseMs: readonly [number, number];
  /** Files being written at the same time. */
  readonly concurrent: number;
  readonly seed: number;
}

/** A seeded generator (the project's own, synth/random.ts), so that test data repeat. */
export function seededRandom(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Piece ends: sometimes a first piece shorter than a DICOM preamble, the rest anywhere in the file. */
function cutPoints(size: number, pieces: number, random: () => number): number[] {
  const cuts = new Set<number>();
  if (pieces > 1 && random() < 0.5) cuts.add(1 + Math.floor(random() * 120));
  while (cuts.size < pieces - 1) cuts.add(1 + Math.floor(random() * (size - 1)));
  return [...[...cuts].sort((a, b) => a - b), size];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function writeOne(plan: WritePlan, file: WritePlan['files'][number], random: () => number): Promise<void> {
  const bytes = await readFile(file.from);
  const handle = await open(path.join(plan.dir, file.name), 'w');
  try {
    let at = 0;
    for (const end of cutPoints(bytes.length, plan.pieces, random)) {
      await handle.write(bytes, at, end - at, at);
      at = end;
      await sleep(plan.pauseMs[0] + random() * (plan.pauseMs[1] - plan.pauseMs[0]));
    }
  } finally {
    await handle.close();
  }
}

export async function writeAll(plan: WritePlan): Promise<void> {
  // One generator per file: its cuts and pauses stay the same however the lanes interleave.
  const queue = plan.files.map((file, i) => ({ file, random: seededRandom(plan.seed * 1000 + i) }));
  const lane = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) await writeOne(plan, next.file, next.random);
  };
  await Promise.all(Array.from({ length: Math.max(1, plan.concurrent) }, lane));
}

const self = fileURLToPath(import.meta.url);

/** Runs the plan in a child process; resolves once every file is completely written. */
export function runSlowWriter(plan: WritePlan): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, JSON.stringify(plan)], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`slow writer exited with ${code}: ${stderr}`))));
  });
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  writeAll(JSON.parse(process.argv[2] ?? '{}') as WritePlan).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

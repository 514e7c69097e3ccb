/**
 * The `boldstream` command: serve, replay, train, inspect, demo. Each command lives in
 * src/commands/; this file only reads the command line, loads the config once and dispatches.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { type Config, loadConfig } from './config.js';
import { BoldstreamError, asBoldstreamError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { version } from './version.js';

export interface CommandContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | string[] | boolean[] | undefined>>;
}

interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly run: (ctx: CommandContext) => Promise<number>;
  /** Log at warn unless the user chose a level: the command's own output is for people. */
  readonly quietLogs?: boolean;
}

const common = {
  config: { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  replay: async () => (await import('./commands/replay.js')).replayCommand,
  train: async () => (await import('./commands/train.js')).trainCommand,
  inspect: async () => (await import('./commands/inspect.js')).inspectCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  simulate: async () => (await import('./commands/simulate.js')).simulateCommand,
  evaluate: async () => (await import('./commands/evaluate.js')).evaluateCommand,
};

function usage(): string {
  return [
    `boldstream ${version}: real-time fMRI decoding server`,
    '',
    'usage: boldstream <command> [options]',
    '  serve     start the HTTP + WebSocket server',
    '  replay    stream a 4D NIfTI, BIDS run, DICOM folder or recording through the pipeline',
    '  train     fit a decoder on labelled BIDS runs and save a model bundle',
    '  inspect   summarise the header of a NIfTI or DICOM file (no identifying fields)',
    '  demo      start the server and stream the real scans (or a synthetic session) through it',
    '  simulate  build a simulated visual subject (BIDS, stimulus PNGs) on a real EPI run',
    '  evaluate  score reconstructed images against the true stimuli, beside the mean-image baseline',
    '',
    'boldstream <command> --help shows its options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    console.log(version);
    return 0;
  }
  const load = commands[name];
  if (!load) {
    console.error(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const command = await load();
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...common, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n\nusage: ${command.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(`${command.summary}\n\nusage: ${command.usage}`);
    return 0;
  }
  const logLevel = parsed.values['log-level'];
  const file = typeof parsed.values.config === 'string' ? { file: parsed.values.config } : {};
  let config = loadConfig({ ...file, overrides: typeof logLevel === 'string' ? { logLevel: logLevel as Config['logLevel'] } : {} });
  // Commands people watch in a terminal log only warnings unless asked otherwise (flag, file or env).
  if (command.quietLogs && typeof logLevel !== 'string' && config.logLevel === 'info') config = loadConfig({ ...file, overrides: { logLevel: 'warn' } });
  const logger = createLogger(config);
  return command.run({ config, logger, positionals: parsed.positionals, values: parsed.values });
}

/** Prints a coded error the way people read it on a terminal, and picks the exit status. */
export function reportFailure(error: unknown): number {
  const e = asBoldstreamError(error);
  console.error(`boldstream: ${e.code}: ${e.message}`);
  if (!(error instanceof BoldstreamError) && error instanceof Error && error.stack) console.error(error.stack);
  return e.code === 'CLI_USAGE' ? 2 : 1;
}

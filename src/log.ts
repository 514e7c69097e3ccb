/**
 * The process logger (pino), JSON lines on stderr so that stdout stays free for records
 * (`boldstream replay` without --out prints JSONL there). Children carry `session` and `tr`.
 * Nothing from a DICOM header beyond what the readers return may be logged; readers never return
 * identifying fields, so anything logged from a Volume is safe.
 */
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

export function createLogger(config: Pick<Config, 'logLevel'>, destination: NodeJS.WritableStream = process.stderr): Logger {
  return pino({ level: config.logLevel, base: { app: 'boldstream' } }, destination as pino.DestinationStream);
}

#!/usr/bin/env node
// The executable behind `boldstream` (package.json "bin"): run the command line, set the exit status.
import { main, reportFailure } from './cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportFailure(error);
  },
);

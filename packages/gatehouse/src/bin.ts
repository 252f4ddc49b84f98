#!/usr/bin/env node
import { runCli } from './cli/main.js';

const stopSignal = new Promise<string>((resolve) => {
  process.once('SIGINT', () => resolve('SIGINT'));
  process.once('SIGTERM', () => resolve('SIGTERM'));
});

const exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stopSignal,
  stdin: process.stdin,
  stdoutStream: process.stdout,
  cwd: process.cwd(),
});
process.exit(exitCode);

#!/usr/bin/env node
// Entry point of the `tierdrop` command: loads the TypeScript CLI through tsx, so the source is what runs.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../core/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

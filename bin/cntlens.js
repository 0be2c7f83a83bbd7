#!/usr/bin/env node
// The `cntlens` command. The library is written in TypeScript and run through tsx's loader, so
// `npx cntlens …` works straight after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

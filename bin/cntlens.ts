#!/usr/bin/env node
// The `cntlens` command. Published as compiled JavaScript (dist/bin/cntlens.js, built by `npm run
// build`, which `npm install` runs in a clone); in development `node --import tsx bin/cntlens.ts`
// runs the sources. Only the dispatcher is loaded here: each command imports its own modules.
import { main } from '../lib/cli/main.js';

process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx dalp` works right after `npm ci` with no
// build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);

#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx dalp` works right after `npm ci` with no
// build step to forget.
import { register } from 'tsx/esm/api';

register();
// The AWS SDK (the lab's object-store calls) warns on Node.js 20 that its releases after January 2027
// need Node.js 22: a note for whoever updates the lockfile (docs/node-versions.md), not for the person running
// a drill, whose progress lines it would interrupt.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);

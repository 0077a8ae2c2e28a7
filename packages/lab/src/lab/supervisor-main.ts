// Entry point of the lab's supervisor process (started detached by `dalp lab up`).
import { runSupervisor } from './supervisor.ts';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: supervisor-main.ts <lab directory>\n');
  process.exit(2);
}
await runSupervisor(dir);

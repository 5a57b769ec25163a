/**
 * Entry module of a trainer process (forked by the run manager, or an Electron utilityProcess):
 * serves one training over the parent port (trainer-serve.ts) and exits when it is over. Exits when
 * its parent goes away.
 */
import { parentPort } from './port.ts';
import { serveTrainer } from './trainer-serve.ts';
import type { FromTrainer, ToTrainer } from './protocol.ts';

const port = parentPort<ToTrainer, FromTrainer>();

// An orphaned trainer must not keep running: its results would have nowhere to go.
port.onClose(() => process.exit(3));

serveTrainer(port, (code) => process.exit(code));

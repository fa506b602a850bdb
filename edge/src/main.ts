/**
 * Stand-alone entry of the edge node until the `edgerec` dispatcher routes `edgerec edge`
 * here: `node --import tsx edge/src/main.ts --id e1 --region r --port 0 --db e1.db`.
 * Flag errors print one line and exit 2, like the CLI.
 */
import { isDomainError } from '@edgerec/proto-schemas';
import { edgeCommand } from './cli.js';

try {
  process.exitCode = await edgeCommand(process.argv.slice(2));
} catch (e) {
  if (!isDomainError(e)) throw e;
  process.stderr.write(`edgerec edge: ${e.code}: ${e.message}\n`);
  process.exitCode = 2;
}

import { isDomainError } from '@edgerec/proto-schemas';
import { benchCommand, benchUsage } from './bench-command.js';
import { brokerCommand, brokerUsage } from './broker-command.js';
import { centralCommand, centralUsage } from './central-command.js';
import { evalCommand, evalUsage } from './eval-command.js';
import { simulateCommand, simulateUsage } from './simulate-command.js';
import { startCommand, startUsage } from './start-command.js';
import { mosquittoConfigCommand, mosquittoConfigUsage } from './mosquitto-config-command.js';
import { reportCommand, reportUsage } from '../reports/report-command.js';
import { openapiCommand, openapiUsage } from './openapi-command.js';

/** Where a command writes: stdout for results (JSON), stderr for progress and errors. */
export interface CliIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

type Command = (argv: string[], io: CliIo) => Promise<number>;

const commands: Record<string, { run: Command; usage: string }> = {
  eval: { run: evalCommand, usage: evalUsage },
  bench: { run: benchCommand, usage: benchUsage },
  broker: { run: brokerCommand, usage: brokerUsage },
  central: { run: centralCommand, usage: centralUsage },
  start: { run: startCommand, usage: startUsage },
  'mosquitto-config': { run: mosquittoConfigCommand, usage: mosquittoConfigUsage },
  simulate: { run: simulateCommand, usage: simulateUsage },
  report: { run: reportCommand, usage: reportUsage },
  openapi: { run: openapiCommand, usage: openapiUsage },
  edge: {
    run: async (argv, io) => (await import('@edgerec/edge/cli')).edgeCommand(argv, io.out),
    usage: 'edgerec edge --id ID --region R --port P --db FILE [--items N] [--dim D] [--host H] [--broker URL ...]',
  },
};

const usage = (): string =>
  `usage: edgerec <command> [flags]\n\ncommands:\n${Object.values(commands)
    .map((c) => `  ${c.usage}`)
    .join('\n')}\n`;

/**
 * CLI entry: dispatches to a command and maps errors to exit codes — a `DomainError`
 * (bad flag, unreadable data) prints one line and exits 2; anything else is a bug (exit 1).
 */
export async function main(argv: string[], io: CliIo = { out: process.stdout, err: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? io.out : io.err).write(usage());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    io.err.write(`edgerec: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (isDomainError(e)) {
      io.err.write(`edgerec ${name}: ${e.code}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

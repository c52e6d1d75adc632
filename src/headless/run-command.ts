/**
 * How the command-line tools end (`npm run accounts`, `npm run backups`): their exit code; a
 * mistake of the person's (a refused account change, a bad setting) as its sentence and 1; anything
 * else with its stack, also 1.
 */
import { AccountError, ConfigError } from '../server/index.ts';

export function runCommand(main: (argv: readonly string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof AccountError || err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
      }
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

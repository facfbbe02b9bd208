#!/usr/bin/env node
// kubectl signet: the kubectl plugin for Signet (docs/architecture.md#interoperability). Installed as the executable
// kubectl-signet, so `kubectl signet ...` runs it.
import { Command, CommanderError, Option } from 'commander';
import { authnConfigCommand } from './authn-config.js';
import { CliError } from './errors.js';
import { keysCommand } from './keys.js';
import { OUTPUT_FORMATS } from './output.js';
import { rotateCommand } from './rotate.js';
import { statusCommand } from './status.js';
import { verifyCommand } from './verify.js';

const program = new Command('kubectl signet')
  .description('Inspect and operate Signet AuthServers: status, keys, rotation, token verification, kube-apiserver trust')
  .option('--kubeconfig <path>', 'kubeconfig file (default $KUBECONFIG, then ~/.kube/config)')
  .option('--context <name>', 'kubeconfig context to use')
  .option('-n, --namespace <ns>', 'namespace (default: the context\'s, else "default")')
  .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
  .showHelpAfterError()
  .exitOverride();

for (const cmd of [statusCommand(), keysCommand(), rotateCommand(), verifyCommand(), authnConfigCommand()]) {
  program.addCommand(cmd.exitOverride());
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}

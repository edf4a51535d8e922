/** `kyso doctor [--json] [--bundle FILE] [--trust FILE.pem]...`: diagnostics for IT staff. */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from '../command.ts';
import { configPaths, defaultConfigDir } from '../../config/index.ts';
import { exitCodeFor, formatReport, runDoctor, writeBundle } from '../../doctor/index.ts';
import { KysoError } from '../../errors/index.ts';
import { TOKEN_OPTIONS_HELP, withTokenOptions } from '../token-context.ts';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Chẩn đoán sự cố / diagnose token, port, certificate and browser problems',
  help: [
    'Usage: kyso doctor [--json] [--bundle FILE] [--trust FILE.pem ...] [--module PATH ...]',
    '                   [--config FILE | --config-dir DIR]',
    '',
    'Checks the agent version and config, the port, PKCS#11 modules, USB devices, tokens',
    '(PIN state, PIN entered on the reader or no login, certificates hidden until login,',
    'shared serials), every certificate on every token (days to expiry, private key found,',
    'found after login or absent, key usage, chain), the clock and browser policy.',
    'Exit code: 0 all good, 1 warnings, 2 errors.',
    '  --json          machine-readable report',
    '  --bundle FILE   also write a redacted support bundle (no PINs, no keys) to FILE',
    '  --trust FILE    PEM file of trust anchors (and intermediates) to check chains against',
    '                  (default: trust.anchors and trust.intermediates of the config file)',
    TOKEN_OPTIONS_HELP,
    '  --config-dir DIR  the directory of config.json (older spelling of --config)',
  ].join('\n'),
  options: withTokenOptions({ values: ['bundle', 'config-dir'], repeatable: ['trust'] }),
  async run(args) {
    const configFile = args.get('config');
    const configDir =
      args.get('config-dir') ??
      (configFile !== undefined ? dirname(configFile) : defaultConfigDir());
    const trustPem = args.all('trust').map((file) => {
      try {
        return readFileSync(file, 'utf8');
      } catch (error) {
        throw new KysoError('INVALID_INPUT', { option: '--trust', file, cause: String(error) });
      }
    });
    const report = await runDoctor({
      configDir,
      ...(configFile !== undefined ? { configFile } : {}),
      modules: args.all('module'),
      trustPem,
    });
    const bundle = args.get('bundle');
    if (bundle) {
      const paths = configPaths(configDir);
      writeBundle(bundle, {
        report,
        configFile: configFile ?? paths.config,
        originsFile: paths.origins,
      });
    }
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else {
      process.stdout.write(formatReport(report));
      if (bundle) process.stdout.write(`\nĐã ghi gói hỗ trợ / support bundle written: ${bundle}\n`);
    }
    return exitCodeFor(report.worst);
  },
};

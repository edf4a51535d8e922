/** `kyso origins list|revoke ORIGIN`: the websites the user approved for signing. */
import { dirname } from 'node:path';
import { configPaths, defaultConfigDir, loadConfig, OriginStore } from '../../config/index.ts';
import { KysoError } from '../../errors/index.ts';
import type { Command } from '../command.ts';

export const originsCommand: Command = {
  name: 'origins',
  summary: 'List or revoke websites approved for signing',
  help: `kyso origins list [--config FILE] [--json]
kyso origins revoke ORIGIN [--config FILE]

Websites the user approved once are remembered; revoke one to be asked again.
Origins allowed by the administrator (allowedOrigins in the config file) are listed too.`,
  options: { values: ['config'] },
  async run(args) {
    const configFile = args.get('config') ?? configPaths(defaultConfigDir()).config;
    const config = loadConfig(configFile);
    const store = new OriginStore(configPaths(dirname(configFile)).origins);
    const [action, origin] = args.positionals;
    if (action === 'revoke') {
      if (!origin) throw new KysoError('INVALID_INPUT', { field: 'ORIGIN' });
      if (!store.revoke(origin))
        throw new KysoError('INVALID_INPUT', {
          field: 'ORIGIN',
          problem: 'not in the approved list',
        });
      process.stdout.write(`Đã thu hồi / revoked: ${origin}\n`);
      return 0;
    }
    if (action !== undefined && action !== 'list') {
      throw new KysoError('INVALID_INPUT', { field: 'action', problem: 'list or revoke' });
    }
    const approved = store.list();
    if (args.flags.has('json')) {
      process.stdout.write(
        JSON.stringify({ ok: true, allowedByConfig: config.allowedOrigins, approved }, null, 2) +
          '\n',
      );
      return 0;
    }
    for (const o of config.allowedOrigins) process.stdout.write(`${o}  (cấu hình / config)\n`);
    for (const o of approved)
      process.stdout.write(`${o.origin}  (đã cho phép / approved ${o.approvedAt})\n`);
    if (config.allowedOrigins.length + approved.length === 0) {
      process.stdout.write('Chưa có trang web nào / No website approved yet.\n');
    }
    return 0;
  },
};

import type { Command } from '../command.ts';
import {
  printJson,
  TOKEN_OPTIONS_HELP,
  withTokenOptions,
  withTokenService,
} from '../token-context.ts';

const DAY = 86_400_000;

/** Keys that are private objects show only after login: say so rather than "no key". */
function keyNote(state: 'present' | 'after-login' | 'absent'): string {
  if (state === 'after-login') return ' (khóa thấy sau khi nhập PIN / key found after login)';
  return state === 'absent' ? ' (no private key on token)' : '';
}

export const certsCommand: Command = {
  name: 'certs',
  summary: 'List certificates on the tokens (with their ids for signing)',
  help: `kyso certs [--token ID] [--all] [--module PATH]... [--config FILE] [--json]

Lists certificates whose private key is on a token (--all: every certificate object).
The id (SHA-256 thumbprint) is what --cert takes.

${TOKEN_OPTIONS_HELP}`,
  options: withTokenOptions({ values: ['token'], flags: ['all'] }),
  async run(args) {
    return withTokenService(args, async (service) => {
      const tokenId = args.get('token');
      const certificates = await service.listCertificates({
        ...(tokenId === undefined ? {} : { tokenId }),
        withPrivateKey: !args.flags.has('all'),
      });
      if (args.flags.has('json')) {
        printJson({ ok: true, certificates });
        return 0;
      }
      if (certificates.length === 0) {
        process.stdout.write('Không có chứng thư số / No certificate found\n');
        return 1;
      }
      const now = Date.now();
      for (const c of certificates) {
        const days = Math.floor((new Date(c.notAfter).getTime() - now) / DAY);
        const expiry =
          days < 0 ? `ĐÃ HẾT HẠN / EXPIRED ${-days} ngày/days ago` : `còn / left ${days} ngày/days`;
        process.stdout.write(
          [
            `\n${c.commonName}`,
            `  Id: ${c.id}`,
            `  Chủ thể / Subject: ${c.subject.text}`,
            `  Nhà cung cấp / Issuer: ${c.issuer.text}`,
            `  Hiệu lực / Valid: ${c.notBefore} → ${c.notAfter} (${expiry})`,
            `  Khóa / Key: ${c.keyAlgorithm} ${c.keySize}${c.namedCurve ? ` ${c.namedCurve}` : ''}; ` +
              `${c.keyUsage.join(', ')}${keyNote(c.privateKey ?? (c.hasPrivateKey ? 'present' : 'absent'))}`,
            `  Thiết bị / Token: ${c.tokenId}`,
          ].join('\n') + '\n',
        );
      }
      return 0;
    });
  },
};

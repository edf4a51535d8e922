import type { Command } from '../command.ts';
import {
  printJson,
  TOKEN_OPTIONS_HELP,
  withTokenOptions,
  withTokenService,
} from '../token-context.ts';
import type { TokenInfo } from '../../tokens/index.ts';

function pinState(token: TokenInfo): string {
  const { pin } = token;
  if (pin.locked) return 'ĐÃ KHÓA / LOCKED';
  if (pin.finalTry) return 'lần thử cuối / final try';
  if (pin.countLow) return 'đã nhập sai / wrong PIN entered before';
  if (pin.toBeChanged) return 'cần đổi PIN / must be changed';
  return 'bình thường / ok';
}

export const tokensCommand: Command = {
  name: 'tokens',
  summary: 'List PKCS#11 modules and the tokens they see',
  help: `kyso tokens [--module PATH]... [--config FILE] [--json]

Lists every loaded PKCS#11 module and every token present, with PIN state.

${TOKEN_OPTIONS_HELP}`,
  options: withTokenOptions(),
  async run(args) {
    return withTokenService(args, async (service) => {
      const tokens = await service.listTokens();
      const modules = service.modules();
      if (args.flags.has('json')) {
        printJson({ ok: true, modules, tokens });
        return 0;
      }
      for (const module of modules) {
        const state =
          module.state === 'loaded'
            ? `${module.description ?? ''} (${module.manufacturer ?? ''})`
            : `${module.state}: ${module.error?.code ?? ''} ${module.error?.detail ?? ''}`;
        process.stdout.write(`Module ${module.path}\n  ${state}\n`);
      }
      if (tokens.length === 0) {
        process.stdout.write('Không có thiết bị ký số / No token present\n');
        return 1;
      }
      for (const token of tokens) {
        process.stdout.write(
          [
            `\n${token.label}  [${token.id}]`,
            `  Nhà sản xuất / Manufacturer: ${token.manufacturer}, ${token.model}`,
            `  Số sê-ri / Serial: ${token.serialNumber}   Khe / Slot: ${token.slotId} ${token.slotDescription}`,
            `  PIN: ${pinState(token)}${pinEntryNote(token)}`,
            ...(token.mayHoldMoreAfterLogin === true
              ? [
                  '  Có thể có thêm chứng thư sau khi nhập PIN / May hold more certificates after login',
                ]
              : []),
          ].join('\n') + '\n',
        );
      }
      return 0;
    });
  },
};

function pinEntryNote(token: TokenInfo): string {
  if (token.pinEntry === 'none') return ' (không cần PIN / no login needed)';
  return token.protectedAuthenticationPath ? ' (bàn phím PIN / PIN pad)' : '';
}

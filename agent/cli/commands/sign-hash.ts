/** `kyso sign-hash`: signs a digest through the signing pipeline (the "test sign"). */
import { KysoError } from '../../errors/index.ts';
import { commandLineCaller } from '../../signing/index.ts';
import { digestLengths, isHashAlgorithm, isSignatureScheme } from '../../tokens/index.ts';
import type { Command } from '../command.ts';
import { printJson, TOKEN_OPTIONS_HELP, withSigning, withTokenOptions } from '../token-context.ts';

export const signHashCommand: Command = {
  name: 'sign-hash',
  summary: 'Sign a hash with a certificate\'s key ("test sign")',
  help: `kyso sign-hash --cert ID --hash HEX [--alg SHA-256|SHA-384|SHA-512]
               [--scheme RSASSA-PKCS1-v1_5|RSA-PSS|ECDSA] [--pin-stdin]
               [--module PATH]... [--config FILE] [--json]

Signs the given digest on the token and prints the signature (base64). The PIN is asked
on the terminal (a wrong PIN may be retried; a locked PIN is reported before asking), or read
from the first line of standard input with --pin-stdin. The signature is journaled with
origin "cli:<user name>" (kyso journal). On a PIN-pad reader the PIN is typed on the reader's
keypad (the command says so on standard error while it waits).

${TOKEN_OPTIONS_HELP}`,
  options: withTokenOptions({ values: ['cert', 'hash', 'alg', 'scheme'], flags: ['pin-stdin'] }),
  async run(args) {
    const certificateId = args.get('cert');
    const hashHex = args.get('hash');
    const alg = args.get('alg') ?? 'SHA-256';
    const scheme = args.get('scheme');
    if (!certificateId) throw new KysoError('INVALID_INPUT', { field: '--cert' });
    if (!hashHex || !/^([0-9a-fA-F]{2})+$/.test(hashHex)) {
      throw new KysoError('INVALID_INPUT', { field: '--hash', problem: 'hexadecimal digest' });
    }
    if (!isHashAlgorithm(alg)) throw new KysoError('INVALID_INPUT', { field: '--alg' });
    if (scheme !== undefined && !isSignatureScheme(scheme)) {
      throw new KysoError('INVALID_INPUT', { field: '--scheme' });
    }
    const digest = Buffer.from(hashHex, 'hex');
    if (digest.length !== digestLengths[alg]) {
      throw new KysoError('HASH_LENGTH_MISMATCH', {
        expected: digestLengths[alg],
        actual: digest.length,
      });
    }
    return withSigning(args, async (signing) => {
      const { certificate, results } = await signing.signDigests(commandLineCaller(), {
        method: 'sign-hash',
        certificateId,
        scheme,
        documents: [{ name: 'hash', hashAlgorithm: alg, digest }],
      });
      const [result] = results;
      if (!result) throw new KysoError('SIGNING_FAILED', { reason: 'no signature returned' });
      const signature = result.signature.toString('base64');
      if (args.flags.has('json')) {
        printJson({
          ok: true,
          certificateId: certificate.id,
          subject: certificate.subject.text,
          hashAlgorithm: result.hashAlgorithm,
          scheme: result.scheme,
          signature,
          certificate: certificate.certificate,
        });
      } else {
        process.stdout.write(signature + '\n');
        process.stderr.write(
          `Ký thử thành công / Test signature OK: ${certificate.commonName} (${result.scheme}, ${result.hashAlgorithm})\n`,
        );
      }
      return 0;
    });
  },
};

/**
 * `kyso sign`: PAdES signature on a PDF with a token key, as an incremental update, through
 * the same pipeline as sign.pdf on the socket (certificate checked before the PDF is read,
 * PIN retries, journal).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { loadCertificates } from '../../cms/index.ts';
import { KysoError } from '../../errors/index.ts';
import {
  assertOutputFree,
  PADES_LEVELS,
  type AppearanceOptions,
  type PadesLevel,
  type SignaturePreset,
} from '../../pdf/index.ts';

const isPadesLevel = (v: string): v is PadesLevel =>
  (PADES_LEVELS as readonly string[]).includes(v);
import type { SignWarning } from '../../protocol/index.ts';
import { commandLineCaller, placementFrom } from '../../signing/index.ts';
import { isHashAlgorithm, isSignatureScheme } from '../../tokens/index.ts';
import type { Command } from '../command.ts';
import type { ParsedArgs } from '../args.ts';
import { printJson, TOKEN_OPTIONS_HELP, withSigning, withTokenOptions } from '../token-context.ts';

const PRESETS: readonly SignaturePreset[] = [
  'approval',
  'issuance',
  'attachment',
  'copy',
  'plain',
  'custom',
];

/** Why a file could not be read, for FILE_NOT_FOUND details. */
function why(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return 'no such file';
  if (error.code === 'EISDIR') return 'a folder, not a file';
  return 'not readable';
}

function parseRect(text: string): [number, number, number, number] {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) {
    throw new KysoError('INVALID_INPUT', { field: '--rect', problem: 'x1,y1,x2,y2 in points' });
  }
  return parts as [number, number, number, number];
}

/** Appearance options from the command line; page numbers are 1-based for people. */
export async function appearanceFromArgs(args: ParsedArgs): Promise<AppearanceOptions> {
  const out: AppearanceOptions = {};
  const docNumber = args.get('doc-number');
  const issuedDate = args.get('issued-date');
  const copyForm = args.get('copy-form');
  const organisation = args.get('organisation');
  const image = args.get('image');
  const page = args.get('page');
  const rect = args.get('rect');
  const anchor = args.get('anchor');
  if (docNumber !== undefined) out.docNumber = docNumber;
  if (issuedDate !== undefined) out.issuedDate = issuedDate;
  if (copyForm !== undefined) out.copyForm = copyForm;
  if (organisation !== undefined) out.organisation = organisation;
  if (args.all('text').length > 0) out.textLines = args.all('text');
  if (image !== undefined) {
    out.image = await readFile(image).catch((error: NodeJS.ErrnoException) => {
      throw new KysoError('FILE_NOT_FOUND', { field: '--image', path: image, reason: why(error) });
    });
  }
  const pageNumber = page === undefined ? undefined : Number(page);
  if (pageNumber !== undefined) placementFrom({ page: pageNumber }, '--page');
  // The placement rule (rect or anchor, not both) is the pipeline's, as on the socket.
  const placement = placementFrom(
    {
      ...(pageNumber !== undefined ? { page: pageNumber } : {}),
      ...(rect !== undefined ? { rect: parseRect(rect) } : {}),
      ...(anchor !== undefined ? { anchor } : {}),
    },
    '--rect',
  );
  if (placement !== undefined) out.placement = placement;
  return out;
}

/** --chain files: CA certificates added to the chain found on the token and in trust. */
async function chainFiles(args: ParsedArgs): Promise<Buffer[]> {
  const explicit: Buffer[] = [];
  for (const file of args.all('chain')) {
    const data = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new KysoError('FILE_NOT_FOUND', { field: '--chain', path: file, reason: why(error) });
    });
    explicit.push(...loadCertificates(data));
  }
  return explicit;
}

/** Warnings for people: `Chú ý [CODE]: vi` then `Note: en`, one block each; '' for none. */
export function formatWarnings(warnings: readonly SignWarning[] | undefined): string {
  return (warnings ?? [])
    .map((w) => `Chú ý [${w.code}]: ${w.message.vi}\nNote: ${w.message.en}\n`)
    .join('');
}

export const signCommand: Command = {
  name: 'sign',
  summary: 'Sign a PDF (PAdES, Decree 30 appearance) / Ký số tệp PDF',
  help: `kyso sign FILE --cert ID --preset approval|issuance|attachment|copy|plain|custom --out OUT
          [--doc-number TEXT] [--issued-date YYYY-MM-DD] [--copy-form TEXT] [--organisation TEXT]
          [--image PNG] [--page N --rect x1,y1,x2,y2 | --anchor TEXT [--page N]] [--text LINE]...
          [--reason TEXT] [--location TEXT] [--field NAME] [--certify 1|2|3]
          [--hash SHA-256|SHA-384|SHA-512] [--level B-B|B-T|B-LT|B-LTA]
          [--scheme RSASSA-PKCS1-v1_5|RSA-PSS|ECDSA] [--chain PEM]... [--pin-stdin]
          [--module PATH]... [--config FILE] [--json]

Adds a signature to FILE as an incremental update and writes OUT (never the input, never an
existing file: FILE_EXISTS). Pages count from 1; --rect is in points from the bottom-left
corner of the page as displayed. The PIN is asked on the terminal, or read from the first
line of standard input with --pin-stdin; on the terminal a wrong PIN may be retried, and
a locked PIN is reported before asking. The certificate is checked (validity, key usage)
before FILE is read. The signature is journaled with origin "cli:<user name>" (kyso journal). The signature carries the CA certificates of the
signer's chain found on the token and in the config file's trust.intermediates; --chain adds
more. --field names the signature field: an empty signature field of that name
in the document (a template's signature box) is filled in place. On a PIN-pad reader the PIN
is typed on the reader's keypad (the command says so on standard error while it waits).
--level: B-B (default); B-T adds a timestamp from the config file's timestamp.urls; B-LT also
embeds the certificates, OCSP responses and CRLs (DSS); B-LTA adds a document timestamp. The
level is reached or the command fails (TIMESTAMP_FAILED, CERTIFICATE_STATUS_UNAVAILABLE).

Warnings (also in --json as "warnings", [] when none) say what did not go as asked: a
--doc-number or --issued-date not written (no [SO_VB]/[NGAY_BH] in FILE), an image scaled
down, the approval put in its default place (no signer name or [CHU_KY] found: bottom right
of the last page's text), a top-right box moved off the page's text.

${TOKEN_OPTIONS_HELP}`,
  options: withTokenOptions({
    values: [
      'cert',
      'preset',
      'out',
      'doc-number',
      'issued-date',
      'copy-form',
      'organisation',
      'image',
      'page',
      'rect',
      'anchor',
      'reason',
      'location',
      'field',
      'certify',
      'hash',
      'scheme',
      'level',
    ],
    repeatable: ['chain', 'text'],
    flags: ['pin-stdin'],
  }),
  async run(args) {
    const [file, ...extra] = args.positionals;
    if (!file || extra.length > 0) {
      throw new KysoError('INVALID_INPUT', { field: 'FILE', problem: 'exactly one PDF' });
    }
    const certificateId = args.get('cert');
    if (!certificateId) throw new KysoError('INVALID_INPUT', { field: '--cert' });
    const out = args.get('out');
    if (!out) throw new KysoError('INVALID_INPUT', { field: '--out' });
    const preset = (args.get('preset') ?? 'plain') as SignaturePreset;
    if (!PRESETS.includes(preset)) {
      throw new KysoError('INVALID_INPUT', { field: '--preset', value: preset });
    }
    const hash = args.get('hash') ?? 'SHA-256';
    if (!isHashAlgorithm(hash)) throw new KysoError('INVALID_INPUT', { field: '--hash' });
    const scheme = args.get('scheme');
    if (scheme !== undefined && !isSignatureScheme(scheme)) {
      throw new KysoError('INVALID_INPUT', { field: '--scheme' });
    }
    const certifyText = args.get('certify');
    const certify = certifyText === undefined ? undefined : Number(certifyText);
    if (certify !== undefined && certify !== 1 && certify !== 2 && certify !== 3) {
      throw new KysoError('INVALID_INPUT', { field: '--certify', problem: '1, 2 or 3' });
    }
    // Issue 14: PAdES level (B-T and above need config timestamp.urls).
    const level = args.get('level') ?? 'B-B';
    if (!isPadesLevel(level)) {
      throw new KysoError('INVALID_INPUT', { field: '--level', problem: PADES_LEVELS.join(', ') });
    }
    // A missing FILE is FILE_NOT_FOUND from the pipeline, after the certificate check (an
    // unusable certificate is said first, whatever the file).
    const appearance = await appearanceFromArgs(args);
    await assertOutputFree(file, out);
    const reason = args.get('reason');
    const fieldName = args.get('field');
    const location = args.get('location');
    const extraChain = await chainFiles(args);

    return withSigning(args, async (signing) => {
      const started = performance.now();
      // FILE is read only after the certificate and token checks passed.
      const { certificate, chain, result } = await signing.pdf.signOne(commandLineCaller(), {
        method: 'sign',
        certificateId,
        scheme,
        hash,
        extraChain,
        item: {
          name: basename(file),
          input: file,
          output: out,
          options: {
            preset,
            appearance,
            ...(reason !== undefined ? { reason } : {}),
            ...(fieldName !== undefined ? { fieldName } : {}),
            ...(location !== undefined ? { location } : {}),
            ...(certify !== undefined ? { certify } : {}),
            level,
          },
        },
      });
      if (chain.length === 0 && !args.flags.has('json')) {
        process.stderr.write(
          'Chú ý: chữ ký không kèm chứng thư CA (thiết bị và trust.intermediates không có CA cấp);\n' +
            '  dùng --chain để người kiểm tra dựng được chuỗi.\n' +
            'Note: no CA certificates embedded (none on the token or in trust.intermediates);\n' +
            '  pass --chain so verifiers can build the chain.\n',
        );
      }
      const ms = Math.round(performance.now() - started);
      if (args.flags.has('json')) {
        printJson({
          ok: true,
          output: result.output,
          fieldName: result.fieldName,
          preset,
          signer: certificate.commonName,
          certificateId: certificate.id,
          size: result.size,
          byteRange: result.byteRange,
          cmsSize: result.cmsSize,
          level: result.level ?? 'B-B',
          warnings: result.warnings,
          ms,
        });
      } else {
        process.stdout.write(
          `Đã ký / Signed: ${result.output ?? out} (${result.fieldName}, ${certificate.commonName}, PAdES ${result.level ?? 'B-B'}, ${ms} ms)\n`,
        );
        process.stderr.write(formatWarnings(result.warnings));
      }
      return 0;
    });
  },
};

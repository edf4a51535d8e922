/**
 * PDF signature verification: the signed fields, one digest pass over the file for all of
 * them, then a report per signature with the changes made after it.
 */
import { loadCertificates } from '../pki/index.ts';
import { ChangeClassifier } from './changes.ts';
import { hashAllInOnePass, signedFields } from './digest-pass.ts';
import { readForm } from './fields.ts';
import { PdfReader } from './reader.ts';
import { CertificateCache } from './certificate-cache.ts';
import { report, type SignatureReport, type SignatureStatus } from './report.ts';
import { openSource, type ByteSource } from './source.ts';

export interface VerifyOptions {
  /** Trusted roots (DER or PEM). Without them no chain is trusted. */
  trustAnchors?: Buffer[];
  /** Extra CA certificates (DER or PEM) that complete paths the CMS does not carry in full. */
  intermediates?: Buffer[];
}

export interface VerifyResult {
  fileSize: number;
  signatures: SignatureReport[];
  /** True when the last signature covers the whole file. */
  totalDocumentSigned: boolean;
  /** Every signature `valid` (strict: nothing but signatures and metadata after each). */
  valid: boolean;
  /** The worst signature status: `invalid` > `valid-changed-after` > `valid` (`invalid` with none). */
  status: SignatureStatus;
}

export async function verifyPdf(
  input: string | Buffer,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const source = await openSource(input);
  try {
    return await verifySource(source, options);
  } finally {
    await source.close();
  }
}

async function verifySource(source: ByteSource, options: VerifyOptions): Promise<VerifyResult> {
  const reader = await PdfReader.open(source);
  const catalog = await reader.catalog();
  const form = await readForm(reader, catalog.dict);
  const anchors = (options.trustAnchors ?? []).flatMap(loadCertificates);
  const intermediates = (options.intermediates ?? []).flatMap(loadCertificates);

  const candidates = await signedFields(reader, form.signatures);
  await hashAllInOnePass(source, candidates);

  // Revision boundaries: each xref section ends a revision (startxref…%%EOF follows it).
  const classifier = new ChangeClassifier(reader, source.size);
  const certificates = new CertificateCache(anchors, intermediates);
  const reports: SignatureReport[] = [];
  for (const c of candidates)
    reports.push(await report(source, c, certificates, classifier, reader));
  reports.sort((a, b) => (a.byteRange[1] ?? 0) - (b.byteRange[1] ?? 0));
  const last = reports.at(-1);
  const totalDocumentSigned = last?.coversWholeFile ?? false;
  return {
    fileSize: source.size,
    signatures: reports,
    totalDocumentSigned,
    valid: reports.length > 0 && reports.every((r) => r.valid),
    status:
      reports.length === 0 || reports.some((r) => r.status === 'invalid')
        ? 'invalid'
        : reports.some((r) => r.status === 'valid-changed-after')
          ? 'valid-changed-after'
          : 'valid',
  };
}

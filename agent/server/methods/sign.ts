/**
 * sign.hash and sign.hashes: the web app hashes, the agent signs the digest after the user
 * approves and enters the PIN in the agent's own dialog (never over the socket).
 */
import { Params } from '../params.ts';
import type { SignedDocument } from '../../signing/index.ts';
import type { MethodTable } from './registry.ts';

const NAME = { max: 500, what: 'a document name (1-500 characters)' };

function reply(certificate: string, signed: SignedDocument) {
  return {
    signature: signed.signature.toString('base64'),
    scheme: signed.scheme,
    hashAlgorithm: signed.hashAlgorithm,
    certificateId: signed.certificateId,
    certificate,
  };
}

export const signMethods: MethodTable = {
  'sign.hash': async (params, ctx) => {
    const p = new Params(params).only(
      'certificateId',
      'hashAlgorithm',
      'hash',
      'scheme',
      'documentName',
    );
    const certificateId = p.certificateId();
    const hashAlgorithm = p.hashAlgorithm();
    const digest = p.digest('hash', hashAlgorithm);
    const scheme = p.optionalScheme();
    const name = p.optionalDisplayText('documentName', NAME) ?? 'hash';
    const { certificate, results } = await ctx.signing.signDigests(ctx, {
      method: 'sign.hash',
      certificateId,
      scheme,
      documents: [{ name, hashAlgorithm, digest }],
    });
    const [only] = results;
    if (!only) throw new Error('no signature returned');
    return reply(certificate.certificate, only);
  },

  'sign.hashes': async (params, ctx) => {
    const p = new Params(params).only('certificateId', 'hashAlgorithm', 'scheme', 'items');
    const certificateId = p.certificateId();
    const defaultAlgorithm = p.hashAlgorithm();
    const scheme = p.optionalScheme();
    const documents = p.objects('items', ctx.config.limits.maxBatchItems).map((item) => {
      item.only('name', 'hash', 'hashAlgorithm');
      const hashAlgorithm = item.hashAlgorithm('hashAlgorithm', defaultAlgorithm);
      return {
        name: item.displayText('name', NAME),
        hashAlgorithm,
        digest: item.digest('hash', hashAlgorithm),
      };
    });
    const { certificate, results } = await ctx.signing.signDigests(ctx, {
      method: 'sign.hashes',
      certificateId,
      scheme,
      documents,
    });
    return {
      certificateId,
      certificate: certificate.certificate,
      signatures: results.map((r, i) => ({
        name: documents[i]?.name,
        signature: r.signature.toString('base64'),
        scheme: r.scheme,
        hashAlgorithm: r.hashAlgorithm,
      })),
    };
  },
};

/**
 * sign.hash and sign.hashes: the web app hashes, the agent signs the digest after the user
 * approves and enters the PIN in the agent's own dialog (never over the socket).
 */
import { array, INVALID, object, optional, refine } from '../../validation/index.ts';
import {
  base64,
  certificateId,
  digestProblem,
  displayText,
  DOCUMENT_NAME,
  hashAlgorithm,
  readParams,
  scheme,
} from '../params.ts';
import type { SignedDocument } from '../../signing/index.ts';
import type { MethodTable } from './types.ts';

const nameSchema = displayText(500, DOCUMENT_NAME);
const digest = base64();

const signHashParams = refine(
  object({
    certificateId,
    hashAlgorithm,
    hash: digest,
    scheme: optional(scheme),
    documentName: optional(nameSchema),
  }),
  (p, report) => {
    const wrong = digestProblem(p.hash, p.hashAlgorithm);
    return wrong ? report.fail(wrong.message, { member: 'hash', reason: wrong.reason }) : p;
  },
);

/** Items may name their own hashAlgorithm; the top-level one is the default. */
const signHashesParams = (maxItems: number) =>
  refine(
    object({
      certificateId,
      hashAlgorithm,
      scheme: optional(scheme),
      items: array(
        object({ name: nameSchema, hash: digest, hashAlgorithm: optional(hashAlgorithm) }),
        {
          min: 1,
          max: maxItems,
        },
      ),
    }),
    (p, report) => {
      let ok = true;
      const documents = p.items.map((item, i) => {
        const algorithm = item.hashAlgorithm ?? p.hashAlgorithm;
        const wrong = digestProblem(item.hash, algorithm);
        if (wrong) {
          ok = false;
          report.fail(wrong.message, { member: ['items', i, 'hash'], reason: wrong.reason });
        }
        return { name: item.name, hashAlgorithm: algorithm, digest: item.hash };
      });
      return ok ? { certificateId: p.certificateId, scheme: p.scheme, documents } : INVALID;
    },
  );

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
    const p = readParams(signHashParams, params);
    const { certificateId, hashAlgorithm, hash: digest, scheme } = p;
    const name = p.documentName ?? 'hash';
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
    const { certificateId, scheme, documents } = readParams(
      signHashesParams(ctx.config.limits.maxBatchItems),
      params,
    );
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

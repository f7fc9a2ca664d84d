/**
 * Optional end-to-end encryption of workflow payloads (inputs, results, signals, queries, memos):
 * AES-256-GCM with keys from `LAUNCH_CONTROL_PAYLOAD_KEYS`. Temporal then stores only ciphertext;
 * the worker, the API and the codec endpoint (`POST /codec/decode`, for the Temporal UI) hold the
 * keys. Search attributes are not payloads and stay readable (they carry no secrets by design).
 *
 * Keys: `<key id>:<base64 of 32 bytes>[,<key id>:<base64>…]`. The first key encrypts; every key
 * decrypts, so a key is rotated by putting the new one first and dropping the old one once no
 * open workflow history uses it.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto'; // CommonJS: named exports are not visible to ESM
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PayloadProto = proto.temporal.api.common.v1.Payload;

export const PAYLOAD_KEYS_ENV = 'LAUNCH_CONTROL_PAYLOAD_KEYS';
export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export type PayloadKey = { id: string; key: Buffer };

const text = (value: string) => new TextEncoder().encode(value);
const untext = (value: Uint8Array | null | undefined) =>
  value ? new TextDecoder().decode(value) : undefined;

/** Parses the keys setting; errors name the entry, never the key material. */
export function parsePayloadKeys(setting: string): PayloadKey[] {
  const entries = setting
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error(`${PAYLOAD_KEYS_ENV}: no key given`);
  const keys = entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) {
      throw new Error(
        `${PAYLOAD_KEYS_ENV}: entry ${index + 1} must be <key id>:<base64 key>, key id of letters, digits, . _ -`,
      );
    }
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== 32) {
      throw new Error(
        `${PAYLOAD_KEYS_ENV}: key "${id}" must be 32 bytes in base64 (openssl rand -base64 32), got ${key.length} bytes`,
      );
    }
    return { id, key };
  });
  const ids = keys.map((k) => k.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new Error(`${PAYLOAD_KEYS_ENV}: key id "${duplicate}" given twice`);
  return keys;
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: PayloadKey;

  constructor(keys: PayloadKey[]) {
    if (!keys[0]) throw new Error('AesGcmPayloadCodec needs at least one key');
    this.current = keys[0];
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      // The key id is authenticated too: a payload cannot be relabelled to another key.
      cipher.setAAD(Buffer.from(this.current.id));
      const plain = PayloadProto.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: text(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: text(this.current.id) },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (untext(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyId = untext(payload.metadata?.[KEY_ID_METADATA]) ?? '';
      const key = this.byId.get(keyId);
      if (!key) throw new Error(`payload encrypted with unknown key "${keyId}" (not in ${PAYLOAD_KEYS_ENV})`);
      const sealed = Buffer.from(payload.data ?? new Uint8Array());
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('encrypted payload too short');
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
        decipher.final(), // throws when the payload or its key id was tampered with
      ]);
      return PayloadProto.decode(plain) as Payload;
    });
  }
}

/** The codec the environment configures, or undefined (payloads in plain JSON). */
export function payloadCodecFromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmPayloadCodec | undefined {
  const setting = env[PAYLOAD_KEYS_ENV]?.trim();
  return setting ? new AesGcmPayloadCodec(parsePayloadKeys(setting)) : undefined;
}

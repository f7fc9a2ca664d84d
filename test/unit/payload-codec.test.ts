/** AES-GCM payload codec: round trip, tamper detection, key rotation, settings errors without key material. */
import { defaultPayloadConverter } from '@temporalio/common';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  parsePayloadKeys,
  payloadCodecFromEnv,
  PAYLOAD_KEYS_ENV,
} from '../../worker/payload-codec.js';

const keyText = () => randomBytes(32).toString('base64');
const plan = { service: 'checkout', version: '2.4.0', approvals: { goNoGo: ['bob'] } };
const payload = () => defaultPayloadConverter.toPayload(plan)!;
const encoding = (p: { metadata?: Record<string, Uint8Array> | null }) =>
  new TextDecoder().decode(p.metadata?.encoding ?? new Uint8Array());

test('encrypts to opaque bytes and decrypts to the same payload', async () => {
  const codec = new AesGcmPayloadCodec(parsePayloadKeys(`k1:${keyText()}`));
  const [sealed] = await codec.encode([payload()]);
  assert.equal(encoding(sealed!), ENCRYPTED_ENCODING);
  assert.ok(!Buffer.from(sealed!.data!).toString('latin1').includes('checkout'), 'no plaintext');
  const [opened] = await codec.decode([sealed!]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(opened!), plan);
  // Each encryption has its own IV: equal inputs give different ciphertexts.
  const [again] = await codec.encode([payload()]);
  assert.notDeepEqual(Buffer.from(again!.data!), Buffer.from(sealed!.data!));
});

test('plain payloads (histories from before encryption) pass through decode unchanged', async () => {
  const codec = new AesGcmPayloadCodec(parsePayloadKeys(`k1:${keyText()}`));
  const [same] = await codec.decode([payload()]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(same!), plan);
});

test('a tampered payload or a relabelled key id is refused', async () => {
  const codec = new AesGcmPayloadCodec(parsePayloadKeys(`k1:${keyText()},k2:${keyText()}`));
  const [sealed] = await codec.encode([payload()]);
  const flipped = Buffer.from(sealed!.data!);
  flipped[20] = flipped[20]! ^ 1;
  await assert.rejects(codec.decode([{ ...sealed!, data: flipped }]), /auth/i);
  const relabelled = {
    ...sealed!,
    metadata: { ...sealed!.metadata, 'encryption-key-id': new TextEncoder().encode('k2') },
  };
  await assert.rejects(codec.decode([relabelled]), /auth/i);
});

test('rotation: the first key encrypts, every listed key decrypts, an unknown key is named', async () => {
  const oldKey = keyText();
  const newKey = keyText();
  const before = new AesGcmPayloadCodec(parsePayloadKeys(`2025:${oldKey}`));
  const rotated = new AesGcmPayloadCodec(parsePayloadKeys(`2026:${newKey},2025:${oldKey}`));
  const [old] = await before.encode([payload()]);
  assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!), plan);
  const [fresh] = await rotated.encode([payload()]);
  assert.equal(new TextDecoder().decode(fresh!.metadata!['encryption-key-id']), '2026');
  await assert.rejects(before.decode([fresh!]), /unknown key "2026"/);
});

test('bad settings are named without echoing key material', () => {
  const secret = Buffer.alloc(16, 7).toString('base64');
  for (const [setting, message] of [
    [`k1:${secret}`, /key "k1" must be 32 bytes.*got 16 bytes/],
    [secret, /entry 1 must be <key id>:<base64 key>/],
    [`k1:${keyText()},k1:${keyText()}`, /key id "k1" given twice/],
    [' , ', /no key given/],
  ] as const) {
    assert.throws(
      () => parsePayloadKeys(setting),
      (err: Error) => message.test(err.message) && !err.message.includes(secret),
    );
  }
  assert.equal(payloadCodecFromEnv({}), undefined);
  assert.ok(payloadCodecFromEnv({ [PAYLOAD_KEYS_ENV]: `k:${keyText()}` }) instanceof AesGcmPayloadCodec);
});

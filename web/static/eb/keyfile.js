// The trustee's key file (§8): the secrets wrapped with a passphrase (PBKDF2-HMAC-SHA-256,
// 600,000 iterations, then AES-256-GCM with AAD T("hop-eb-v1/key-file", poll_hash, int(j))).
// It never reaches the server; the page offers it as a download.
import { gcmDecrypt, gcmEncrypt, pbkdf2 } from "./aead.js";
import { canon, parseStrict } from "./canon.js";
import {
  EbError,
  base,
  bytesToHex,
  decodeScalar,
  hexToBytes,
  pointHex,
  scalarHex,
} from "./group.js";
import { requireFields, requireList } from "./shape.js";
import { transcript } from "./transcript.js";

export const FORMAT = "hop-eb-v1/trustee-key";
export const ITERATIONS = 600000;
const utf8 = new TextEncoder();

/** The passphrase as §8 wants it: NFC, at least 10 characters, UTF-8. */
export function passphraseBytes(passphrase) {
  const nfc = passphrase.normalize("NFC");
  if ([...nfc].length < 10) throw new EbError("passphrase", "at least 10 characters");
  return utf8.encode(nfc);
}

function keyFileAad(pollHash, trustee) {
  return transcript("hop-eb-v1/key-file", pollHash, trustee);
}

/**
 * Wraps `secret` ({transport_secret, coefficients} at stage "setup", {share} at stage "share").
 * `salt` and `iv` are for tests only: a new random pair is drawn for every wrap.
 */
export async function wrapKeyFile({ pollId, pollHash, trustee, stage, transportKey, verificationKey = null,
  jointKey = null, secret, passphrase, iterations = ITERATIONS, salt, iv }) {
  const s = salt ?? crypto.getRandomValues(new Uint8Array(16));
  const nonce = iv ?? crypto.getRandomValues(new Uint8Array(12));
  const key = await pbkdf2(passphraseBytes(passphrase), s, iterations);
  const ct = await gcmEncrypt(key, nonce, canon(secret), keyFileAad(pollHash, trustee));
  return {
    format: FORMAT, poll_id: pollId, poll_hash: bytesToHex(pollHash), trustee, stage,
    transport_key: transportKey, verification_key: verificationKey, joint_key: jointKey,
    kdf: { name: "PBKDF2-SHA-256", iterations, salt: bytesToHex(s) },
    cipher: { name: "AES-256-GCM", iv: bytesToHex(nonce) },
    ciphertext: bytesToHex(ct),
  };
}

function checkHeader(file) {
  if (file?.format !== FORMAT) throw new EbError("key-file.format", "not a Hop trustee key");
  if (file.stage !== "setup" && file.stage !== "share") throw new EbError("key-file.stage", "unknown stage");
  const { kdf, cipher } = file;
  const strong = Number.isSafeInteger(kdf?.iterations) && kdf.iterations >= ITERATIONS;
  if (kdf?.name !== "PBKDF2-SHA-256" || !strong) {
    throw new EbError("key-file.kdf", "PBKDF2-SHA-256 with at least 600000 iterations");
  }
  if (cipher?.name !== "AES-256-GCM") throw new EbError("key-file.cipher", "AES-256-GCM");
  const salt = hexToBytes(kdf.salt, "key-file.kdf.salt");
  const iv = hexToBytes(cipher.iv, "key-file.cipher.iv");
  if (salt.length !== 16 || iv.length !== 12) throw new EbError("key-file", "salt or iv length");
  return { salt, iv };
}

/**
 * Unwraps a key file (object or JSON text); null when the passphrase is wrong (the GCM tag
 * fails). The caller then checks base(x_j) == X_j and X_j, K, poll_hash against the board.
 */
export async function unwrapKeyFile(fileOrText, passphrase) {
  const file = typeof fileOrText === "string" ? parseStrict(fileOrText) : fileOrText;
  const { salt, iv } = checkHeader(file);
  const pollHash = hexToBytes(file.poll_hash, "key-file.poll_hash");
  if (pollHash.length !== 32 || !Number.isSafeInteger(file.trustee)) {
    throw new EbError("key-file", "poll_hash or trustee");
  }
  const key = await pbkdf2(passphraseBytes(passphrase), salt, file.kdf.iterations);
  const ct = hexToBytes(file.ciphertext, "key-file.ciphertext");
  const pt = await gcmDecrypt(key, iv, ct, keyFileAad(pollHash, file.trustee));
  if (pt === null) return null;
  return { file, secret: parseStrict(new TextDecoder("utf-8", { fatal: true }).decode(pt)) };
}

/** The secret object of a key file: stage "setup" before `confirm`, "share" after (§8). */
export function secretObject(stage, { transportSecret, coefficients, share }) {
  if (stage === "share") return { share: scalarHex(share) };
  return { transport_secret: scalarHex(transportSecret), coefficients: coefficients.map(scalarHex) };
}

/** The scalars of an unwrapped secret object of the given stage. */
export function readSecret(stage, secret) {
  if (stage === "share") {
    requireFields(secret, ["share"], "key-file.secret");
    return { share: decodeScalar(secret.share, { check: "key-file.secret" }) };
  }
  requireFields(secret, ["transport_secret", "coefficients"], "key-file.secret");
  requireList(secret.coefficients, undefined, "key-file.secret");
  return {
    transportSecret: decodeScalar(secret.transport_secret, { check: "key-file.secret" }),
    coefficients: secret.coefficients.map((h) => decodeScalar(h, { check: "key-file.secret" })),
  };
}

/**
 * The import check of a stage "share" file (§8): base(x_j) == X_j, and the file's X_j, K and
 * poll hash are the board's. Returns x_j.
 */
export function checkShareKey({ opened, pollHash, X, K }) {
  const { file, secret } = opened;
  if (file.stage !== "share") throw new EbError("key-file.stage", "not a share key");
  const { share } = readSecret("share", secret);
  if (!base(share).equals(X)) throw new EbError("key-file.share", "does not match X_j");
  if (file.verification_key !== pointHex(X) || file.joint_key !== pointHex(K)) {
    throw new EbError("key-file", "X_j or K differs from the board");
  }
  if (file.poll_hash !== bytesToHex(pollHash)) throw new EbError("key-file.poll_hash", "another board");
  return share;
}

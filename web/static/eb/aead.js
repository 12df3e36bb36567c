// WebCrypto wrappers (global `crypto.subtle`, in browsers and in Node 20): HKDF-SHA-256,
// PBKDF2-HMAC-SHA-256 and AES-256-GCM with a 128-bit tag, as §7.3 and §8 use them.
const subtle = () => globalThis.crypto.subtle;

/** HKDF-SHA-256(ikm, salt, info) -> `length` bytes (RFC 5869). */
export async function hkdf(ikm, salt, info, length) {
  const key = await subtle().importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const bits = await subtle().deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, key, length * 8);
  return new Uint8Array(bits);
}

/** PBKDF2-HMAC-SHA-256(password bytes, salt, iterations) -> 32 bytes. */
export async function pbkdf2(password, salt, iterations) {
  const key = await subtle().importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = await subtle().deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

function gcmKey(key, usage) {
  return subtle().importKey("raw", key, "AES-GCM", false, [usage]);
}

/** AES-256-GCM: ciphertext || 16-byte tag. */
export async function gcmEncrypt(key, iv, plaintext, aad) {
  const params = { name: "AES-GCM", iv, additionalData: aad, tagLength: 128 };
  return new Uint8Array(await subtle().encrypt(params, await gcmKey(key, "encrypt"), plaintext));
}

/** AES-256-GCM open; null when the tag does not verify (wrong key, data or AAD). */
export async function gcmDecrypt(key, iv, ciphertext, aad) {
  const params = { name: "AES-GCM", iv, additionalData: aad, tagLength: 128 };
  try {
    return new Uint8Array(await subtle().decrypt(params, await gcmKey(key, "decrypt"), ciphertext));
  } catch {
    return null;
  }
}

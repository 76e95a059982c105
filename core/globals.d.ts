// The only platform globals core/ may use: present, with the same behaviour,
// in workerd and in Node >= 20. No DOM lib, no Node types, no Workers types.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
interface CryptoKey {
  readonly type: string;
}
interface SubtleCrypto {
  importKey(format: "raw", keyData: Uint8Array, algorithm: { name: "Ed25519" } | "Ed25519", extractable: boolean, keyUsages: readonly "verify"[]): Promise<CryptoKey>;
  verify(algorithm: { name: "Ed25519" } | "Ed25519", key: CryptoKey, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}
declare const crypto: { readonly subtle: SubtleCrypto };

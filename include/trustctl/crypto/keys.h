// Public and private keys, signatures and key IDs on OpenSSL 3 EVP (docs/keys.md).
//
// Key types and schemes (TUF spec 1.0 / securesystemslib names):
//   ed25519  scheme "ed25519"             keyval.public = hex of the 32 raw bytes
//   ecdsa    scheme "ecdsa-sha2-nistp256" keyval.public = PEM SubjectPublicKeyInfo (P-256)
//   rsa      scheme "rsassa-pss-sha256"   keyval.public = PEM SubjectPublicKeyInfo (>= 2048 bits)
// Signatures: ed25519 is pure Ed25519 over the message; ecdsa is ECDSA over SHA-256, encoded as
// DER (TUF/securesystemslib) or as raw r||s, 64 bytes (Notary v1) — see EcdsaEncoding;
// rsassa-pss-sha256 is RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length 32 (= digest length) when
// signing, any salt length accepted when verifying (as securesystemslib and Go do).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/crypto/secret.h"

typedef struct evp_pkey_st EVP_PKEY;  // NOLINT: OpenSSL's own forward declaration

namespace trustctl::crypto {

enum class KeyType { kEd25519, kEcdsaP256, kRsa };

std::string_view key_type_name(KeyType type);  // TUF keytype: "ed25519", "ecdsa", "rsa"
std::string_view key_scheme(KeyType type);     // TUF scheme
// Accepts "ed25519", "ecdsa", "ecdsa-sha2-nistp256", "rsa"; kUsage otherwise.
Result<KeyType> parse_key_type(std::string_view name);

// How an ECDSA signature is written: DER (TUF, securesystemslib, `openssl dgst`) or the fixed
// 64-byte r||s concatenation Notary v1 uses. Ignored for the other key types.
enum class EcdsaEncoding { kDer, kRaw };

inline constexpr int kMinRsaBits = 2048;
inline constexpr int kDefaultRsaBits = 3072;

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const;
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

class PublicKey {
 public:
  // A "PUBLIC KEY" PEM (SubjectPublicKeyInfo); PEM headers such as "role:" are ignored.
  static Result<PublicKey> from_pem(std::string_view pem);
  static Result<PublicKey> from_spki_der(std::string_view der);
  static Result<PublicKey> from_ed25519_raw(std::string_view raw32);
  // A TUF key object {"keytype","scheme","keyval":{"public"}}; kVerification on a malformed or
  // unsupported key (it usually comes from metadata).
  static Result<PublicKey> from_tuf_json(const nlohmann::json& key);

  PublicKey(const PublicKey& other);
  PublicKey& operator=(const PublicKey& other);
  PublicKey(PublicKey&&) noexcept = default;
  PublicKey& operator=(PublicKey&&) noexcept = default;
  ~PublicKey() = default;

  KeyType type() const { return type_; }
  int bits() const;
  std::string spki_der() const;
  std::string to_pem() const;  // "-----BEGIN PUBLIC KEY-----\n...64 columns...\n-----END...\n"

  // {"keytype":..,"keyval":{"public":..},"scheme":..} as securesystemslib writes it.
  nlohmann::json to_tuf_json() const;
  // sha256 hex of the canonical JSON of to_tuf_json(): the TUF key ID.
  std::string key_id() const;

  // {"keytype":..,"keyval":{"private":null,"public":base64}} (base64 of the SPKI DER, or of the
  // 32 raw bytes for ed25519) and its sha256: Notary's "canonical" key ID, the name of the key
  // file in a notary or docker trust dir.
  nlohmann::json to_notary_json() const;
  std::string notary_key_id() const;

  // OK when `signature` is a valid signature of `message`; kVerification otherwise.
  Status verify(std::string_view message, std::string_view signature,
                EcdsaEncoding encoding = EcdsaEncoding::kDer) const;

  bool operator==(const PublicKey& other) const { return spki_der() == other.spki_der(); }

  EVP_PKEY* evp() const { return key_.get(); }

 private:
  PublicKey(EvpPkeyPtr key, KeyType type) : key_(std::move(key)), type_(type) {}
  static Result<PublicKey> adopt(EvpPkeyPtr key);
  friend class PrivateKey;

  EvpPkeyPtr key_;
  KeyType type_;
};

// Parameters of PKCS#8 encryption (PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC).
struct KdfParams {
  int pbkdf2_iterations = 600000;  // OWASP 2023 guidance for PBKDF2-HMAC-SHA256
};

// The PBKDF2 keys one process (one command) derived, so that the key files of a command share
// one derivation (docs/keys.md, "One derivation per command"): a file whose salt and iteration
// count were derived from the same passphrase before is decrypted with the derived key, and
// files written under a passphrase reuse the salt chosen for its first file, so that keys
// created together (a repository's targets, snapshot and timestamp keys) are later read with
// one derivation. The strength is that of every file on its own: same iteration count, a
// random salt per passphrase, a random IV per file. Derived keys are wiped when freed.
class KdfMemo {
 public:
  struct Derived {
    SecretBytes passphrase_digest;  // SHA-256 of the passphrase: a lookup key, in memory only
    std::string salt;
    long iterations = 0;
    int prf = 0;  // OpenSSL NID of the PRF
    SecretBytes key;
  };
  // The derived key for these parameters, deriving (and remembering) it when new.
  Result<const SecretBytes*> derive(const SecretBytes& passphrase, const std::string& salt,
                                    long iterations, int prf, std::size_t key_length);
  // The salt for a new file under `passphrase` at `iterations` (random the first time).
  Result<std::string> salt_for(const SecretBytes& passphrase, long iterations);
  int derivations() const { return derivations_; }

 private:
  std::vector<Derived> derived_;
  std::vector<std::pair<SecretBytes, std::pair<long, std::string>>> salts_;
  int derivations_ = 0;
};

class PrivateKey {
 public:
  static Result<PrivateKey> generate(KeyType type, int rsa_bits = kDefaultRsaBits);
  // Unencrypted PKCS#8 PrivateKeyInfo, or a traditional "EC/RSA PRIVATE KEY" DER.
  static Result<PrivateKey> from_der(const SecretBytes& der);
  // PKCS#8 EncryptedPrivateKeyInfo (any PBES2 OpenSSL supports: PBKDF2 with HMAC-SHA1/SHA256,
  // scrypt; AES-CBC). A wrong passphrase is kAuth; a structure that is not an encrypted key is
  // kUsage.
  static Result<PrivateKey> from_encrypted_der(std::string_view der, const SecretBytes& passphrase,
                                               KdfMemo* memo = nullptr);

  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;
  ~PrivateKey() = default;

  KeyType type() const { return public_.type(); }
  const PublicKey& public_key() const { return public_; }

  // Unencrypted PKCS#8 DER.
  Result<SecretBytes> to_pkcs8_der() const;
  // PKCS#8 EncryptedPrivateKeyInfo DER under `passphrase` (fresh 16-byte salt and IV).
  // With `memo`, the salt is the memo's for this passphrase.
  Result<std::string> to_encrypted_der(const SecretBytes& passphrase, const KdfParams& params = {},
                                       KdfMemo* memo = nullptr) const;

  Result<std::string> sign(std::string_view message,
                           EcdsaEncoding encoding = EcdsaEncoding::kDer) const;

 private:
  PrivateKey(EvpPkeyPtr key, PublicKey pub) : key_(std::move(key)), public_(std::move(pub)) {}
  static Result<PrivateKey> adopt(EvpPkeyPtr key);

  EvpPkeyPtr key_;
  PublicKey public_;
};

// sha256 hex of the canonical JSON of any key object (the TUF key ID of a key as listed in
// metadata, which may carry extra fields).
Result<std::string> key_id_of(const nlohmann::json& key_object);

// ECDSA P-256 signature conversions between DER and raw r||s (64 bytes). kVerification on bad
// input.
Result<std::string> ecdsa_der_to_raw(std::string_view der);
Result<std::string> ecdsa_raw_to_der(std::string_view raw);

}  // namespace trustctl::crypto

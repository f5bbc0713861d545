#include "trustctl/crypto/keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <optional>

#include "trustctl/canonical_json/canonical_json.h"
#include "trustctl/core/encoding.h"
#include "trustctl/crypto/hash.h"
#include "trustctl/crypto/pem.h"

namespace trustctl::crypto {
namespace {

// RAII for the OpenSSL handles used here.
template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using P8InfoPtr =
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, Deleter<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>>;
using X509SigPtr = std::unique_ptr<X509_SIG, Deleter<X509_SIG, X509_SIG_free>>;
using X509AlgorPtr = std::unique_ptr<X509_ALGOR, Deleter<X509_ALGOR, X509_ALGOR_free>>;
using Pbe2ParamPtr = std::unique_ptr<PBE2PARAM, Deleter<PBE2PARAM, PBE2PARAM_free>>;
using Pbkdf2ParamPtr = std::unique_ptr<PBKDF2PARAM, Deleter<PBKDF2PARAM, PBKDF2PARAM_free>>;

constexpr std::size_t kEcdsaP256ScalarBytes = 32;
constexpr int kSaltBytes = 16;
// A key file may come from elsewhere (import): refuse a KDF cost that would hang us.
constexpr long kMaxPbkdf2Iterations = 20'000'000;

// The last OpenSSL error, for messages; clears the queue so it cannot leak into later calls.
std::string openssl_error() {
  unsigned long code = ERR_peek_last_error();
  std::string text;
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    text = std::string(": ") + buf;
  }
  ERR_clear_error();
  return text;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Result<KeyType> classify(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_ED25519:
      return KeyType::kEd25519;
    case EVP_PKEY_EC: {
      char group[64] = {};
      std::size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &len) != 1 ||
          std::string_view(group, len) != "prime256v1") {
        ERR_clear_error();
        return Error(ErrorCode::kUsage, "unsupported elliptic curve " + std::string(group, len) +
                                            ": only P-256 is supported");
      }
      return KeyType::kEcdsaP256;
    }
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(key) < kMinRsaBits) {
        return Error(ErrorCode::kUsage, "RSA key of " + std::to_string(EVP_PKEY_get_bits(key)) +
                                            " bits: at least " + std::to_string(kMinRsaBits) +
                                            " are required");
      }
      return KeyType::kRsa;
    default:
      return Error(ErrorCode::kUsage, std::string("unsupported key algorithm ") +
                                          (OBJ_nid2sn(EVP_PKEY_get_base_id(key))
                                               ? OBJ_nid2sn(EVP_PKEY_get_base_id(key))
                                               : "unknown") +
                                          ": use ed25519, ecdsa P-256 or rsa");
  }
}

// Configures an EVP_PKEY_CTX for RSASSA-PSS with SHA-256.
bool set_pss(EVP_PKEY_CTX* pctx, bool signing) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(
             pctx, signing ? RSA_PSS_SALTLEN_DIGEST : RSA_PSS_SALTLEN_AUTO) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
}

// Refuses PBKDF2 iteration counts that would take minutes (a hostile or corrupt key file).
// Eight times the work of scrypt's usual N=2^17, r=8, p=1.
constexpr std::uint64_t kMaxScryptWork = std::uint64_t{1} << 23;

Status check_kdf_cost(const X509_SIG* sig) {
  const X509_ALGOR* alg = nullptr;
  X509_SIG_get0(sig, &alg, nullptr);
  if (OBJ_obj2nid(alg->algorithm) != NID_pbes2) {
    char name[80] = {};
    OBJ_obj2txt(name, sizeof name, alg->algorithm, 0);
    return Error(ErrorCode::kUsage, std::string("unsupported key encryption ") + name +
                                        ": only PKCS#5 v2 (PBES2) encrypted keys can be read");
  }
  Pbe2ParamPtr pbe2(static_cast<PBE2PARAM*>(
      ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter)));
  if (!pbe2) return Error(ErrorCode::kUsage, "malformed PBES2 parameters" + openssl_error());
  if (OBJ_obj2nid(pbe2->keyfunc->algorithm) == NID_id_scrypt) {
    // OpenSSL caps scrypt's memory, not its time: N*r*p bounds the work a key file can demand.
    std::unique_ptr<SCRYPT_PARAMS, decltype(&SCRYPT_PARAMS_free)> sp(
        static_cast<SCRYPT_PARAMS*>(
            ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), pbe2->keyfunc->parameter)),
        SCRYPT_PARAMS_free);
    if (!sp) return Error(ErrorCode::kUsage, "malformed scrypt parameters" + openssl_error());
    std::uint64_t n = 0, r = 0, p = 0;
    if (ASN1_INTEGER_get_uint64(&n, sp->costParameter) != 1 ||
        ASN1_INTEGER_get_uint64(&r, sp->blockSize) != 1 ||
        ASN1_INTEGER_get_uint64(&p, sp->parallelizationParameter) != 1 || n == 0 || r == 0 ||
        p == 0) {
      return Error(ErrorCode::kUsage, "malformed scrypt parameters");
    }
    if (n > kMaxScryptWork || r > kMaxScryptWork / n || p > kMaxScryptWork / (n * r)) {
      return Error(ErrorCode::kUsage, "refusing scrypt cost N=" + std::to_string(n) +
                                          " r=" + std::to_string(r) + " p=" + std::to_string(p) +
                                          " (N*r*p limit " + std::to_string(kMaxScryptWork) + ")");
    }
    return {};
  }
  if (OBJ_obj2nid(pbe2->keyfunc->algorithm) != NID_id_pbkdf2) {
    return Error(ErrorCode::kUsage, "unsupported key derivation in PBES2 (PBKDF2 or scrypt)");
  }
  Pbkdf2ParamPtr kdf(static_cast<PBKDF2PARAM*>(
      ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter)));
  if (!kdf) return Error(ErrorCode::kUsage, "malformed PBKDF2 parameters" + openssl_error());
  const long iterations = ASN1_INTEGER_get(kdf->iter);
  if (iterations <= 0 || iterations > kMaxPbkdf2Iterations) {
    return Error(ErrorCode::kUsage, "refusing PBKDF2 iteration count " +
                                        std::to_string(iterations) + " (limit " +
                                        std::to_string(kMaxPbkdf2Iterations) + ")");
  }
  return {};
}

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;

// PBES2 with PBKDF2 and an AES-CBC cipher, as trustctl writes them: the parts needed to decrypt
// with a derived key from the memo. nullopt for anything else (OpenSSL's own path then).
struct Pbes2Pbkdf2 {
  std::string salt;
  long iterations = 0;
  int prf = NID_hmacWithSHA1;  // PKCS#5's default
  const EVP_CIPHER* cipher = nullptr;
  std::string iv;
  std::string ciphertext;
};

std::optional<Pbes2Pbkdf2> pbes2_pbkdf2(const X509_SIG* sig) {
  const X509_ALGOR* alg = nullptr;
  const ASN1_OCTET_STRING* data = nullptr;
  X509_SIG_get0(sig, &alg, &data);
  if (OBJ_obj2nid(alg->algorithm) != NID_pbes2) return std::nullopt;
  Pbe2ParamPtr pbe2(static_cast<PBE2PARAM*>(
      ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter)));
  if (!pbe2 || OBJ_obj2nid(pbe2->keyfunc->algorithm) != NID_id_pbkdf2) return std::nullopt;
  Pbkdf2ParamPtr kdf(static_cast<PBKDF2PARAM*>(
      ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter)));
  if (!kdf || kdf->salt->type != V_ASN1_OCTET_STRING || kdf->keylength != nullptr)
    return std::nullopt;
  Pbes2Pbkdf2 out;
  const ASN1_OCTET_STRING* salt = kdf->salt->value.octet_string;
  out.salt.assign(reinterpret_cast<const char*>(salt->data),
                  static_cast<std::size_t>(salt->length));
  out.iterations = ASN1_INTEGER_get(kdf->iter);
  if (kdf->prf != nullptr) out.prf = OBJ_obj2nid(kdf->prf->algorithm);
  const int cipher = OBJ_obj2nid(pbe2->encryption->algorithm);
  if (cipher == NID_aes_256_cbc) out.cipher = EVP_aes_256_cbc();
  if (cipher == NID_aes_128_cbc) out.cipher = EVP_aes_128_cbc();
  if (out.cipher == nullptr) return std::nullopt;
  const ASN1_TYPE* iv = pbe2->encryption->parameter;
  if (iv == nullptr || iv->type != V_ASN1_OCTET_STRING ||
      iv->value.octet_string->length != EVP_CIPHER_get_iv_length(out.cipher))
    return std::nullopt;
  out.iv.assign(reinterpret_cast<const char*>(iv->value.octet_string->data),
                static_cast<std::size_t>(iv->value.octet_string->length));
  out.ciphertext.assign(reinterpret_cast<const char*>(data->data),
                        static_cast<std::size_t>(data->length));
  return out;
}

const EVP_MD* prf_digest(int prf) {
  switch (prf) {
    case NID_hmacWithSHA1:
      return EVP_sha1();
    case NID_hmacWithSHA256:
      return EVP_sha256();
    case NID_hmacWithSHA512:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

// The PrivateKeyInfo under a derived key; kAuth when it does not decrypt to one.
Result<SecretBytes> decrypt_pkcs8(const Pbes2Pbkdf2& p, const SecretBytes& key) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  SecretBytes plain(p.ciphertext.size() + EVP_MAX_BLOCK_LENGTH);
  int len = 0, tail = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), p.cipher, nullptr, key.udata(),
                         reinterpret_cast<const unsigned char*>(p.iv.data())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), plain.udata(), &len, bytes(p.ciphertext),
                        static_cast<int>(p.ciphertext.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plain.udata() + len, &tail) != 1) {
    ERR_clear_error();
    return Error(ErrorCode::kAuth, "wrong passphrase");
  }
  plain.resize(static_cast<std::size_t>(len + tail));
  return plain;
}

// The raw SHA-256 of a secret, hashed without copying it into an ordinary string.
std::string sha256_raw(std::string_view secret) {
  Hasher h(HashAlgorithm::kSha256);
  h.update(secret);
  return h.finish_raw();
}

}  // namespace

Result<const SecretBytes*> KdfMemo::derive(const SecretBytes& passphrase, const std::string& salt,
                                           long iterations, int prf, std::size_t key_length) {
  const SecretBytes digest(sha256_raw(passphrase.view()));
  for (const auto& d : derived_) {
    if (d.passphrase_digest.view() == digest.view() && d.salt == salt &&
        d.iterations == iterations && d.prf == prf && d.key.size() == key_length)
      return &d.key;
  }
  const EVP_MD* md = prf_digest(prf);
  if (md == nullptr) return Error(ErrorCode::kUsage, "unsupported PBKDF2 PRF");
  SecretBytes key(key_length);
  if (PKCS5_PBKDF2_HMAC(passphrase.data(), static_cast<int>(passphrase.size()), bytes(salt),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), md,
                        static_cast<int>(key_length), key.udata()) != 1)
    return Error(ErrorCode::kInternal, "PBKDF2 failed" + openssl_error());
  ++derivations_;
  derived_.push_back({digest.clone(), salt, iterations, prf, std::move(key)});
  return &derived_.back().key;
}

Result<std::string> KdfMemo::salt_for(const SecretBytes& passphrase, long iterations) {
  const SecretBytes digest(sha256_raw(passphrase.view()));
  for (const auto& [d, chosen] : salts_)
    if (d.view() == digest.view() && chosen.first == iterations) return chosen.second;
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), kSaltBytes) != 1)
    return Error(ErrorCode::kInternal, "no randomness for the salt" + openssl_error());
  salts_.emplace_back(digest.clone(), std::make_pair(iterations, salt));
  return salt;
}

void EvpPkeyDeleter::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::kEd25519:
      return "ed25519";
    case KeyType::kEcdsaP256:
      return "ecdsa";
    case KeyType::kRsa:
      return "rsa";
  }
  return "unknown";
}

std::string_view key_scheme(KeyType type) {
  switch (type) {
    case KeyType::kEd25519:
      return "ed25519";
    case KeyType::kEcdsaP256:
      return "ecdsa-sha2-nistp256";
    case KeyType::kRsa:
      return "rsassa-pss-sha256";
  }
  return "unknown";
}

Result<KeyType> parse_key_type(std::string_view name) {
  if (name == "ed25519") return KeyType::kEd25519;
  if (name == "ecdsa" || name == "ecdsa-sha2-nistp256") return KeyType::kEcdsaP256;
  if (name == "rsa") return KeyType::kRsa;
  return Error(ErrorCode::kUsage,
               "unknown key type '" + std::string(name) + "': use ed25519, ecdsa or rsa");
}

// ---------------------------------------------------------------------------------------------
// PublicKey

Result<PublicKey> PublicKey::adopt(EvpPkeyPtr key) {
  TRUSTCTL_TRY_ASSIGN(KeyType type, classify(key.get()));
  return PublicKey(std::move(key), type);
}

PublicKey::PublicKey(const PublicKey& other) : type_(other.type_) {
  EVP_PKEY_up_ref(other.key_.get());
  key_.reset(other.key_.get());
}

PublicKey& PublicKey::operator=(const PublicKey& other) {
  if (this != &other) {
    EVP_PKEY_up_ref(other.key_.get());
    key_.reset(other.key_.get());
    type_ = other.type_;
  }
  return *this;
}

Result<PublicKey> PublicKey::from_spki_der(std::string_view der) {
  const unsigned char* p = bytes(der);
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key) return Error(ErrorCode::kUsage, "not a DER SubjectPublicKeyInfo" + openssl_error());
  if (p != bytes(der) + der.size()) {
    return Error(ErrorCode::kUsage, "trailing bytes after the public key");
  }
  return adopt(std::move(key));
}

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  TRUSTCTL_TRY_ASSIGN(auto blocks, pem_decode_all(pem));
  for (const auto& block : blocks) {
    if (block.label == "PUBLIC KEY") return from_spki_der(block.der.view());
  }
  return Error(ErrorCode::kUsage, "no PUBLIC KEY PEM block found");
}

Result<PublicKey> PublicKey::from_ed25519_raw(std::string_view raw32) {
  if (raw32.size() != 32) {
    return Error(ErrorCode::kUsage,
                 "an ed25519 public key is 32 bytes, not " + std::to_string(raw32.size()));
  }
  EvpPkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(raw32), 32));
  if (!key) return Error(ErrorCode::kUsage, "invalid ed25519 public key" + openssl_error());
  return PublicKey(std::move(key), KeyType::kEd25519);
}

Result<PublicKey> PublicKey::from_tuf_json(const nlohmann::json& key) {
  auto bad = [](const std::string& why) {
    return Error(ErrorCode::kVerification, "invalid TUF key: " + why);
  };
  if (!key.is_object()) return bad("not an object");
  auto keytype = key.find("keytype");
  auto scheme = key.find("scheme");
  auto keyval = key.find("keyval");
  if (keytype == key.end() || !keytype->is_string()) return bad("no string \"keytype\"");
  if (scheme == key.end() || !scheme->is_string()) return bad("no string \"scheme\"");
  if (keyval == key.end() || !keyval->is_object()) return bad("no \"keyval\" object");
  auto pub = keyval->find("public");
  if (pub == keyval->end() || !pub->is_string()) return bad("no string \"keyval.public\"");
  const auto& t = keytype->get_ref<const std::string&>();
  const auto& s = scheme->get_ref<const std::string&>();
  const auto& value = pub->get_ref<const std::string&>();
  auto expect = [&](KeyType type) -> Result<PublicKey> {
    if (s != key_scheme(type)) return bad("unsupported scheme \"" + s + "\" for keytype " + t);
    if (type == KeyType::kEd25519) {
      if (value.size() != 64) return bad("ed25519 public key must be 64 hex characters");
      std::string raw;
      for (std::size_t i = 0; i < 64; i += 2) {
        auto nibble = [](char c) -> int {
          if (c >= '0' && c <= '9') return c - '0';
          if (c >= 'a' && c <= 'f') return c - 'a' + 10;
          return -1;
        };
        int hi = nibble(value[i]), lo = nibble(value[i + 1]);
        if (hi < 0 || lo < 0) return bad("ed25519 public key is not lowercase hex");
        raw.push_back(static_cast<char>(hi << 4 | lo));
      }
      auto k = from_ed25519_raw(raw);
      if (!k) return bad(k.error().message());
      return k;
    }
    auto k = from_pem(value);
    if (!k) return bad(k.error().message());
    if (k->type() != type) return bad("keyval.public does not hold a " + t + " key");
    return k;
  };
  if (t == "ed25519") return expect(KeyType::kEd25519);
  if (t == "ecdsa" || t == "ecdsa-sha2-nistp256") return expect(KeyType::kEcdsaP256);
  if (t == "rsa") return expect(KeyType::kRsa);
  return bad("unsupported keytype \"" + t + "\"");
}

int PublicKey::bits() const { return EVP_PKEY_get_bits(key_.get()); }

std::string PublicKey::spki_der() const {
  unsigned char* out = nullptr;
  int len = i2d_PUBKEY(key_.get(), &out);
  if (len <= 0) throw std::runtime_error("i2d_PUBKEY failed" + openssl_error());
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
  OPENSSL_free(out);
  return der;
}

std::string PublicKey::to_pem() const { return pem_encode("PUBLIC KEY", spki_der()); }

nlohmann::json PublicKey::to_tuf_json() const {
  std::string public_value;
  if (type_ == KeyType::kEd25519) {
    unsigned char raw[32];
    std::size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key_.get(), raw, &len) != 1 || len != 32) {
      throw std::runtime_error("EVP_PKEY_get_raw_public_key failed" + openssl_error());
    }
    public_value = hex_encode(std::string_view(reinterpret_cast<char*>(raw), len));
  } else {
    public_value = to_pem();
  }
  return {{"keytype", key_type_name(type_)},
          {"scheme", key_scheme(type_)},
          {"keyval", {{"public", public_value}}}};
}

std::string PublicKey::key_id() const { return key_id_of(to_tuf_json()).value(); }

nlohmann::json PublicKey::to_notary_json() const {
  std::string material;
  if (type_ == KeyType::kEd25519) {
    unsigned char raw[32];
    std::size_t len = sizeof raw;
    EVP_PKEY_get_raw_public_key(key_.get(), raw, &len);
    material.assign(reinterpret_cast<char*>(raw), len);
  } else {
    material = spki_der();
  }
  return {{"keytype", key_type_name(type_)},
          {"keyval", {{"private", nullptr}, {"public", encoding::base64_encode(material)}}}};
}

std::string PublicKey::notary_key_id() const { return key_id_of(to_notary_json()).value(); }

Status PublicKey::verify(std::string_view message, std::string_view signature,
                         EcdsaEncoding encoding) const {
  std::string der_sig;
  if (type_ == KeyType::kEcdsaP256 && encoding == EcdsaEncoding::kRaw) {
    TRUSTCTL_TRY_ASSIGN(der_sig, ecdsa_raw_to_der(signature));
    signature = der_sig;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx ||
      EVP_DigestVerifyInit_ex(ctx.get(), &pctx, type_ == KeyType::kEd25519 ? nullptr : "SHA256",
                              nullptr, nullptr, key_.get(), nullptr) != 1 ||
      (type_ == KeyType::kRsa && !set_pss(pctx, /*signing=*/false))) {
    return Error(ErrorCode::kInternal, "cannot set up signature verification" + openssl_error());
  }
  const int rc = EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(message),
                                  message.size());
  ERR_clear_error();
  if (rc != 1) {
    return Error(ErrorCode::kVerification,
                 std::string(key_scheme(type_)) + " signature does not verify");
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// PrivateKey

Result<PrivateKey> PrivateKey::adopt(EvpPkeyPtr key) {
  TRUSTCTL_TRY_ASSIGN(KeyType type, classify(key.get()));
  // A public-only copy, so PublicKey never holds private material.
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key.get(), &der);
  if (len <= 0) return Error(ErrorCode::kInternal, "cannot extract public key" + openssl_error());
  auto pub = PublicKey::from_spki_der(
      std::string_view(reinterpret_cast<char*>(der), static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  if (!pub) return pub.error();
  if (pub->type() != type) return Error(ErrorCode::kInternal, "key type mismatch");
  return PrivateKey(std::move(key), std::move(pub).value());
}

Result<PrivateKey> PrivateKey::generate(KeyType type, int rsa_bits) {
  EVP_PKEY* raw = nullptr;
  switch (type) {
    case KeyType::kEd25519:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case KeyType::kEcdsaP256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::kRsa:
      if (rsa_bits < kMinRsaBits) {
        return Error(ErrorCode::kUsage,
                     "RSA keys need at least " + std::to_string(kMinRsaBits) + " bits");
      }
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(rsa_bits));
      break;
  }
  if (raw == nullptr) return Error(ErrorCode::kInternal, "key generation failed" + openssl_error());
  return adopt(EvpPkeyPtr(raw));
}

Result<PrivateKey> PrivateKey::from_der(const SecretBytes& der) {
  const unsigned char* p = der.udata();
  EvpPkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  if (!key) return Error(ErrorCode::kUsage, "not a DER private key" + openssl_error());
  if (p != der.udata() + der.size()) {
    return Error(ErrorCode::kUsage, "trailing bytes after the private key");
  }
  return adopt(std::move(key));
}

Result<PrivateKey> PrivateKey::from_encrypted_der(std::string_view der,
                                                  const SecretBytes& passphrase, KdfMemo* memo) {
  const unsigned char* p = bytes(der);
  X509SigPtr sig(d2i_X509_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != bytes(der) + der.size()) {
    ERR_clear_error();
    return Error(ErrorCode::kUsage, "not a PKCS#8 EncryptedPrivateKeyInfo");
  }
  TRUSTCTL_TRY(check_kdf_cost(sig.get()));
  if (memo != nullptr) {
    if (auto parts = pbes2_pbkdf2(sig.get()); parts && prf_digest(parts->prf) != nullptr) {
      TRUSTCTL_TRY_ASSIGN(
          const SecretBytes* key,
          memo->derive(passphrase, parts->salt, parts->iterations, parts->prf,
                       static_cast<std::size_t>(EVP_CIPHER_get_key_length(parts->cipher))));
      TRUSTCTL_TRY_ASSIGN(auto plain, decrypt_pkcs8(*parts, *key));
      const unsigned char* q = plain.udata();
      P8InfoPtr info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &q, static_cast<long>(plain.size())));
      EvpPkeyPtr pkey(info && q == plain.udata() + plain.size() ? EVP_PKCS82PKEY(info.get())
                                                                : nullptr);
      if (!pkey) {
        ERR_clear_error();
        return Error(ErrorCode::kAuth, "wrong passphrase (decrypted data is not a private key)");
      }
      return adopt(std::move(pkey));
    }
  }
  P8InfoPtr info(PKCS8_decrypt_ex(sig.get(), passphrase.data(), static_cast<int>(passphrase.size()),
                                  nullptr, nullptr));
  if (!info) {
    ERR_clear_error();
    return Error(ErrorCode::kAuth, "wrong passphrase");
  }
  EvpPkeyPtr key(EVP_PKCS82PKEY(info.get()));
  if (!key) {
    ERR_clear_error();
    return Error(ErrorCode::kAuth, "wrong passphrase (decrypted data is not a private key)");
  }
  return adopt(std::move(key));
}

Result<SecretBytes> PrivateKey::to_pkcs8_der() const {
  P8InfoPtr info(EVP_PKEY2PKCS8(key_.get()));
  if (!info) return Error(ErrorCode::kInternal, "cannot encode private key" + openssl_error());
  int len = i2d_PKCS8_PRIV_KEY_INFO(info.get(), nullptr);
  if (len <= 0) return Error(ErrorCode::kInternal, "cannot encode private key" + openssl_error());
  SecretBytes out(static_cast<std::size_t>(len));
  unsigned char* p = out.udata();
  i2d_PKCS8_PRIV_KEY_INFO(info.get(), &p);
  return out;
}

Result<std::string> PrivateKey::to_encrypted_der(const SecretBytes& passphrase,
                                                 const KdfParams& params, KdfMemo* memo) const {
  if (params.pbkdf2_iterations < 1 || params.pbkdf2_iterations > kMaxPbkdf2Iterations) {
    return Error(ErrorCode::kUsage, "PBKDF2 iteration count out of range");
  }
  P8InfoPtr info(EVP_PKEY2PKCS8(key_.get()));
  if (!info) return Error(ErrorCode::kInternal, "cannot encode private key" + openssl_error());
  std::string salt(kSaltBytes, '\0');
  if (memo != nullptr) {
    TRUSTCTL_TRY_ASSIGN(salt, memo->salt_for(passphrase, params.pbkdf2_iterations));
  } else if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), kSaltBytes) != 1) {
    return Error(ErrorCode::kInternal, "no randomness for the salt" + openssl_error());
  }
  // The IV (NULL here) is drawn at random by OpenSSL.
  X509AlgorPtr pbe(PKCS5_pbe2_set_iv_ex(
      EVP_aes_256_cbc(), params.pbkdf2_iterations, reinterpret_cast<unsigned char*>(salt.data()),
      static_cast<int>(salt.size()), nullptr, NID_hmacWithSHA256, nullptr));
  if (!pbe) return Error(ErrorCode::kInternal, "cannot set up PBES2" + openssl_error());
  X509SigPtr sig(PKCS8_set0_pbe_ex(passphrase.data(), static_cast<int>(passphrase.size()),
                                   info.get(), pbe.get(), nullptr, nullptr));
  if (!sig) return Error(ErrorCode::kInternal, "cannot encrypt private key" + openssl_error());
  (void)pbe.release();  // owned by sig now
  unsigned char* out = nullptr;
  int len = i2d_X509_SIG(sig.get(), &out);
  if (len <= 0) return Error(ErrorCode::kInternal, "cannot encode encrypted key" + openssl_error());
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
  OPENSSL_free(out);
  return der;
}

Result<std::string> PrivateKey::sign(std::string_view message, EcdsaEncoding encoding) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  const KeyType t = type();
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), &pctx, t == KeyType::kEd25519 ? nullptr : "SHA256", nullptr,
                            nullptr, key_.get(), nullptr) != 1 ||
      (t == KeyType::kRsa && !set_pss(pctx, /*signing=*/true))) {
    return Error(ErrorCode::kInternal, "cannot set up signing" + openssl_error());
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, bytes(message), message.size()) != 1) {
    return Error(ErrorCode::kInternal, "signing failed" + openssl_error());
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(message),
                     message.size()) != 1) {
    return Error(ErrorCode::kInternal, "signing failed" + openssl_error());
  }
  sig.resize(len);
  if (t == KeyType::kEcdsaP256 && encoding == EcdsaEncoding::kRaw) return ecdsa_der_to_raw(sig);
  return sig;
}

// ---------------------------------------------------------------------------------------------

Result<std::string> key_id_of(const nlohmann::json& key_object) {
  TRUSTCTL_TRY_ASSIGN(auto canonical, canonical_json::encode(key_object));
  return sha256_hex(canonical);
}

Result<std::string> ecdsa_der_to_raw(std::string_view der) {
  const unsigned char* p = bytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != bytes(der) + der.size()) {
    ERR_clear_error();
    return Error(ErrorCode::kVerification, "malformed DER ECDSA signature");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * kEcdsaP256ScalarBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_is_negative(r) || BN_is_negative(s) || BN_bn2binpad(r, out, kEcdsaP256ScalarBytes) < 0 ||
      BN_bn2binpad(s, out + kEcdsaP256ScalarBytes, kEcdsaP256ScalarBytes) < 0) {
    ERR_clear_error();
    return Error(ErrorCode::kVerification, "ECDSA signature values do not fit P-256");
  }
  return raw;
}

Result<std::string> ecdsa_raw_to_der(std::string_view raw) {
  if (raw.size() != 2 * kEcdsaP256ScalarBytes) {
    return Error(ErrorCode::kVerification,
                 "a raw P-256 ECDSA signature is 64 bytes, not " + std::to_string(raw.size()));
  }
  BignumPtr r(BN_bin2bn(bytes(raw), kEcdsaP256ScalarBytes, nullptr));
  BignumPtr s(BN_bin2bn(bytes(raw) + kEcdsaP256ScalarBytes, kEcdsaP256ScalarBytes, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return Error(ErrorCode::kInternal, "cannot build ECDSA signature" + openssl_error());
  }
  (void)r.release();  // owned by sig now
  (void)s.release();
  unsigned char* out = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &out);
  if (len <= 0)
    return Error(ErrorCode::kInternal, "cannot encode ECDSA signature" + openssl_error());
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
  OPENSSL_free(out);
  return der;
}

}  // namespace trustctl::crypto

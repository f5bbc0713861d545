#include "support/jwt.h"

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "support/openssl_util.h"
#include "trustctl/core/encoding.h"

namespace trustctl::testing {

Result<JwtSigner> JwtSigner::from_pem(std::string_view key_pem, std::string_view cert_pem) {
  TRUSTCTL_TRY_ASSIGN(PkeyPtr key, load_private_key(key_pem));
  JwtSigner signer;
  if (EVP_PKEY_is_a(key.get(), "EC")) {
    if (EVP_PKEY_get_bits(key.get()) != 256)
      return Error(ErrorCode::kUsage, "JwtSigner: only the P-256 curve (ES256) is supported");
    signer.algorithm_ = "ES256";
  } else if (EVP_PKEY_is_a(key.get(), "RSA")) {
    signer.algorithm_ = "RS256";
  } else {
    return Error(ErrorCode::kUsage, "JwtSigner: the key is neither EC P-256 nor RSA");
  }
  TRUSTCTL_TRY_ASSIGN(std::string spki, public_key_der(key.get()));
  signer.key_id_ = libtrust_fingerprint(spki);
  if (!cert_pem.empty()) {
    TRUSTCTL_TRY_ASSIGN(X509Ptr cert, load_cert(cert_pem));
    TRUSTCTL_TRY_ASSIGN(signer.cert_der_, cert_der(cert.get()));
  }
  signer.key_ = std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);
  return signer;
}

Result<std::string> JwtSigner::sign_bytes(std::string_view signing_input) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1)
    return Error(ErrorCode::kInternal, openssl_message("EVP_DigestSignInit"));
  const auto* in = reinterpret_cast<const unsigned char*>(signing_input.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, signing_input.size()) != 1)
    return Error(ErrorCode::kInternal, openssl_message("EVP_DigestSign"));
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     signing_input.size()) != 1)
    return Error(ErrorCode::kInternal, openssl_message("EVP_DigestSign"));
  sig.resize(len);
  if (algorithm_ != "ES256") return sig;

  // JWS wants r||s, each left-padded to 32 bytes, not the DER ECDSA-Sig-Value.
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* ecdsa = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  if (ecdsa == nullptr) return Error(ErrorCode::kInternal, openssl_message("d2i_ECDSA_SIG"));
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), out, 32) == 32 &&
            BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), out + 32, 32) == 32;
  ECDSA_SIG_free(ecdsa);
  if (!ok) return Error(ErrorCode::kInternal, "ES256: r or s does not fit 32 bytes");
  return raw;
}

Result<std::string> JwtSigner::sign(const nlohmann::json& claims,
                                    const nlohmann::json& extra_header) const {
  nlohmann::json header = {{"typ", "JWT"}, {"alg", algorithm_}, {"kid", key_id_}};
  for (const auto& [k, v] : extra_header.items()) {
    if (v.is_null())
      header.erase(k);
    else
      header[k] = v;
  }
  std::string input =
      encoding::base64url_encode(header.dump()) + "." + encoding::base64url_encode(claims.dump());
  TRUSTCTL_TRY_ASSIGN(std::string sig, sign_bytes(input));
  return input + "." + encoding::base64url_encode(sig);
}

Result<nlohmann::json> JwtSigner::x5c_header() const {
  if (cert_der_.empty()) return Error(ErrorCode::kUsage, "JwtSigner: no certificate for x5c");
  return nlohmann::json{{"x5c", nlohmann::json::array({encoding::base64_encode(cert_der_)})}};
}

Result<DecodedJwt> decode_jwt(std::string_view token) {
  size_t a = token.find('.');
  size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos || token.find('.', b + 1) != std::string_view::npos)
    return Error(ErrorCode::kProtocol, "JWT: not three dot-separated parts");
  auto header = encoding::base64_decode(token.substr(0, a));
  auto claims = encoding::base64_decode(token.substr(a + 1, b - a - 1));
  auto sig = encoding::base64_decode(token.substr(b + 1));
  if (!header || !claims || !sig) return Error(ErrorCode::kProtocol, "JWT: bad base64url");
  DecodedJwt out;
  out.header = nlohmann::json::parse(*header, nullptr, false);
  out.claims = nlohmann::json::parse(*claims, nullptr, false);
  if (out.header.is_discarded() || out.claims.is_discarded())
    return Error(ErrorCode::kProtocol, "JWT: header or claims are not JSON");
  out.signature = std::move(*sig);
  return out;
}

nlohmann::json token_claims(const TokenClaimsSpec& spec) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  int64_t iat = duration_cast<seconds>(spec.issued_at.time_since_epoch()).count();
  unsigned char id[16];
  RAND_bytes(id, sizeof id);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string jti;
  for (unsigned char c : id) {
    jti += kHex[c >> 4];
    jti += kHex[c & 15];
  }
  return {{"iss", spec.issuer},   {"sub", spec.subject},
          {"aud", spec.audience}, {"exp", iat + spec.lifetime.count()},
          {"nbf", iat - 1},       {"iat", iat},
          {"jti", jti},           {"access", spec.access}};
}

}  // namespace trustctl::testing

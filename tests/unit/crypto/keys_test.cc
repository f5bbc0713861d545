#include "trustctl/crypto/keys.h"

#include <catch2/catch.hpp>

#include "trustctl/canonical_json/canonical_json.h"
#include "trustctl/core/encoding.h"
#include "trustctl/core/subprocess.h"
#include "trustctl/crypto/hash.h"
#include "trustctl/crypto/pem.h"
#include "unit/crypto/test_files.h"

using namespace trustctl;
using crypto::EcdsaEncoding;
using crypto::KdfMemo;
using crypto::KdfParams;
using crypto::KeyType;
using crypto::PrivateKey;
using crypto::PublicKey;
using crypto::SecretBytes;
using testing::fixture;
using testing::read_text;
using testing::TempDir;
using testing::write_text;

namespace {

const std::string kMessage = "{\"_type\":\"Targets\",\"version\":1}";

// Runs openssl; returns its exit status (stderr shown on failure).
int openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_process(argv);
  REQUIRE(r.ok());
  if (r->exit_status != 0) UNSCOPED_INFO("openssl: " << r->err);
  return r->exit_status;
}

PrivateKey generate(KeyType type) {
  auto key = PrivateKey::generate(type, 2048);  // 2048 keeps RSA generation quick in tests
  REQUIRE(key.ok());
  return std::move(key).value();
}

std::string private_pem(const PrivateKey& key) {
  auto der = key.to_pkcs8_der();
  REQUIRE(der.ok());
  return crypto::pem_encode("PRIVATE KEY", der->view());
}

std::string flip_last_bit(std::string s) {
  s.back() = static_cast<char>(s.back() ^ 1);
  return s;
}

nlohmann::json load_json(const std::string& path) {
  auto j = canonical_json::parse(read_text(path));
  REQUIRE(j.ok());
  return *j;
}

}  // namespace

TEST_CASE("keys: type names and schemes", "[crypto][keys]") {
  CHECK(crypto::key_type_name(KeyType::kEcdsaP256) == "ecdsa");
  CHECK(crypto::key_scheme(KeyType::kEcdsaP256) == "ecdsa-sha2-nistp256");
  CHECK(crypto::key_scheme(KeyType::kRsa) == "rsassa-pss-sha256");
  CHECK(crypto::key_scheme(KeyType::kEd25519) == "ed25519");
  CHECK(*crypto::parse_key_type("ecdsa-sha2-nistp256") == KeyType::kEcdsaP256);
  CHECK(crypto::parse_key_type("dsa").error().code() == ErrorCode::kUsage);
}

TEST_CASE("keys: sign and verify, tampering refused", "[crypto][keys]") {
  auto type = GENERATE(KeyType::kEd25519, KeyType::kEcdsaP256, KeyType::kRsa);
  CAPTURE(crypto::key_type_name(type));
  PrivateKey key = generate(type);
  const PublicKey& pub = key.public_key();
  CHECK(pub.type() == type);

  auto sig = key.sign(kMessage);
  REQUIRE(sig.ok());
  CHECK(pub.verify(kMessage, *sig).ok());
  if (type == KeyType::kEd25519) CHECK(sig->size() == 64);
  if (type == KeyType::kRsa) CHECK(sig->size() == 256);

  auto tampered_message = pub.verify(kMessage + " ", *sig);
  REQUIRE_FALSE(tampered_message.ok());
  CHECK(tampered_message.error().code() == ErrorCode::kVerification);
  CHECK_FALSE(pub.verify(kMessage, flip_last_bit(*sig)).ok());
  CHECK_FALSE(pub.verify(kMessage, "").ok());
  // Another key of the same type does not verify it.
  CHECK_FALSE(generate(type).public_key().verify(kMessage, *sig).ok());
}

TEST_CASE("keys: ECDSA raw r||s encoding for Notary", "[crypto][keys]") {
  PrivateKey key = generate(KeyType::kEcdsaP256);
  auto raw = key.sign(kMessage, EcdsaEncoding::kRaw);
  REQUIRE(raw.ok());
  CHECK(raw->size() == 64);
  CHECK(key.public_key().verify(kMessage, *raw, EcdsaEncoding::kRaw).ok());
  // The encodings are not interchangeable.
  CHECK_FALSE(key.public_key().verify(kMessage, *raw, EcdsaEncoding::kDer).ok());
  auto der = crypto::ecdsa_raw_to_der(*raw);
  REQUIRE(der.ok());
  CHECK(key.public_key().verify(kMessage, *der).ok());
  CHECK(*crypto::ecdsa_der_to_raw(*der) == *raw);
  CHECK(crypto::ecdsa_raw_to_der(raw->substr(0, 63)).error().message() ==
        "a raw P-256 ECDSA signature is 64 bytes, not 63");
  CHECK_FALSE(crypto::ecdsa_der_to_raw(*der + "x").ok());
}

TEST_CASE("keys: signatures made here verify with the openssl CLI", "[crypto][keys][openssl]") {
  auto type = GENERATE(KeyType::kEd25519, KeyType::kEcdsaP256, KeyType::kRsa);
  CAPTURE(crypto::key_type_name(type));
  TempDir dir;
  PrivateKey key = generate(type);
  write_text(dir / "pub.pem", key.public_key().to_pem());
  write_text(dir / "msg", kMessage);
  write_text(dir / "tampered", kMessage + "!");
  auto sig = key.sign(kMessage);
  REQUIRE(sig.ok());
  write_text(dir / "sig", *sig);

  std::vector<std::string> verify;
  switch (type) {
    case KeyType::kEd25519:
      verify = {"pkeyutl", "-verify",  "-pubin",    "-inkey", dir / "pub.pem",
                "-rawin",  "-sigfile", dir / "sig", "-in"};
      break;
    case KeyType::kEcdsaP256:
      verify = {"dgst", "-sha256", "-verify", dir / "pub.pem", "-signature", dir / "sig"};
      break;
    case KeyType::kRsa:
      // Strict salt length 32 (= SHA-256 length): shows the securesystemslib convention.
      verify = {"dgst",       "-sha256",
                "-sigopt",    "rsa_padding_mode:pss",
                "-sigopt",    "rsa_pss_saltlen:32",
                "-sigopt",    "rsa_mgf1_md:sha256",
                "-verify",    dir / "pub.pem",
                "-signature", dir / "sig"};
      break;
  }
  auto with_input = [&](const std::string& file) {
    auto args = verify;
    args.push_back(file);
    return args;
  };
  CHECK(openssl(with_input(dir / "msg")) == 0);
  CHECK(openssl(with_input(dir / "tampered")) != 0);

  if (type == KeyType::kEcdsaP256) {
    // Notary's raw form, converted to DER, verifies too.
    auto raw = key.sign(kMessage, EcdsaEncoding::kRaw);
    write_text(dir / "sig", *crypto::ecdsa_raw_to_der(*raw));
    CHECK(openssl(with_input(dir / "msg")) == 0);
  }
}

TEST_CASE("keys: signatures made by the openssl CLI verify here", "[crypto][keys][openssl]") {
  auto type = GENERATE(KeyType::kEd25519, KeyType::kEcdsaP256, KeyType::kRsa);
  CAPTURE(crypto::key_type_name(type));
  TempDir dir;
  PrivateKey key = generate(type);
  write_text(dir / "key.pem", private_pem(key));
  write_text(dir / "msg", kMessage);
  std::vector<std::string> sign;
  switch (type) {
    case KeyType::kEd25519:
      sign = {"pkeyutl", "-sign",     "-inkey", dir / "key.pem", "-rawin",
              "-in",     dir / "msg", "-out",   dir / "sig"};
      break;
    case KeyType::kEcdsaP256:
      sign = {"dgst", "-sha256", "-sign", dir / "key.pem", "-out", dir / "sig", dir / "msg"};
      break;
    case KeyType::kRsa:
      // Maximum salt length: verification accepts any salt length, as securesystemslib does.
      sign = {"dgst",     "-sha256",
              "-sigopt",  "rsa_padding_mode:pss",
              "-sigopt",  "rsa_pss_saltlen:max",
              "-sigopt",  "rsa_mgf1_md:sha256",
              "-sign",    dir / "key.pem",
              "-out",     dir / "sig",
              dir / "msg"};
      break;
  }
  REQUIRE(openssl(sign) == 0);
  const std::string sig = read_text(dir / "sig");
  CHECK(key.public_key().verify(kMessage, sig).ok());
  CHECK_FALSE(key.public_key().verify(kMessage + "!", sig).ok());
  CHECK_FALSE(key.public_key().verify(kMessage, flip_last_bit(sig)).ok());
}

TEST_CASE("keys: TUF and notary key IDs of fixed keys", "[crypto][keys]") {
  // IDs computed independently (a few lines of python implementing the OLPC rules + hashlib;
  // note the raw newlines of the PEM inside the canonical text).
  auto ed = PublicKey::from_pem(read_text(fixture("notary-keys/delegation-keys/ed.pub")));
  REQUIRE(ed.ok());
  CHECK(ed->type() == KeyType::kEd25519);
  CHECK(ed->key_id() == "af29c21014fa4909bb8f7d516694eda136b8bfb82ee16f9addd8849a43913943");
  CHECK(ed->notary_key_id() == "d3253ec29a2a7a50586f730e165590142e0d1c0ce1835b602f0b87bbd6d99f8f");
  CHECK(ed->to_tuf_json()["keyval"]["public"] ==
        "a2c5b99dd8b6960ddc32569ffbb2f2da4ee5dad408828b490bcae7589e2aa918");

  auto alice = PublicKey::from_pem(read_text(fixture("notary-keys/delegation-keys/alice.pem")));
  REQUIRE(alice.ok());  // the role: header notary writes is tolerated
  CHECK(alice->type() == KeyType::kEcdsaP256);
  CHECK(alice->key_id() == "2b8156a791322d3444ce09c501a5dd628c583fe01b89294259d91f013a78cea9");
  // The name notary gave alice's private key file.
  CHECK(alice->notary_key_id() ==
        "5a12d6d552467a3d86d049c2eafbfecde61afedc7c044a7838454732bcd34be5");

  auto rsa = PublicKey::from_pem(read_text(fixture("notary-keys/delegation-keys/rsa.pub")));
  REQUIRE(rsa.ok());
  CHECK(rsa->bits() == 2048);
  CHECK(rsa->key_id() == "154656ad271b47cb50ea35e31a134b75399c0e630b9c0ae758941f4b396f6b43");
  CHECK(rsa->notary_key_id() == "c506a48a01933b1d38f74e0a2900f1caebcd2ce4477be78fd5ed5c30c2308d40");

  // The key ID is the sha256 of exactly this canonical text.
  CHECK(*canonical_json::encode(ed->to_tuf_json()) ==
        "{\"keytype\":\"ed25519\",\"keyval\":{\"public\":\"a2c5b99dd8b6960ddc32569ffbb2f2da4ee5dad4"
        "08828b490bcae7589e2aa918\"},\"scheme\":\"ed25519\"}");
}

TEST_CASE("keys: key IDs are stable across encodings", "[crypto][keys]") {
  auto type = GENERATE(KeyType::kEd25519, KeyType::kEcdsaP256, KeyType::kRsa);
  PrivateKey key = generate(type);
  const PublicKey& pub = key.public_key();
  const std::string id = pub.key_id();
  CHECK(id.size() == 64);
  CHECK(id == crypto::sha256_hex(*canonical_json::encode(pub.to_tuf_json())));
  CHECK(PublicKey::from_pem(pub.to_pem())->key_id() == id);
  CHECK(PublicKey::from_spki_der(pub.spki_der())->key_id() == id);
  auto from_json = PublicKey::from_tuf_json(pub.to_tuf_json());
  REQUIRE(from_json.ok());
  CHECK(from_json->key_id() == id);
  auto reloaded = PrivateKey::from_der(*key.to_pkcs8_der());
  REQUIRE(reloaded.ok());
  CHECK(reloaded->public_key().key_id() == id);
  CHECK(reloaded->public_key().notary_key_id() == pub.notary_key_id());
  CHECK(pub.notary_key_id() != id);
}

TEST_CASE("keys: malformed and unsupported keys are refused", "[crypto][keys]") {
  CHECK_FALSE(PublicKey::from_pem("nothing here").ok());
  CHECK_FALSE(PublicKey::from_spki_der("\x30\x03\x02\x01\x01").ok());
  auto bad_json = PublicKey::from_tuf_json(
      {{"keytype", "ed25519"}, {"scheme", "ed25519"}, {"keyval", {{"public", "zz"}}}});
  REQUIRE_FALSE(bad_json.ok());
  CHECK(bad_json.error().code() == ErrorCode::kVerification);
  CHECK(bad_json.error().message() ==
        "invalid TUF key: ed25519 public key must be 64 hex characters");
  auto pub = generate(KeyType::kEcdsaP256).public_key().to_tuf_json();
  pub["scheme"] = "ecdsa-sha2-nistp384";
  CHECK(PublicKey::from_tuf_json(pub).error().message() ==
        "invalid TUF key: unsupported scheme \"ecdsa-sha2-nistp384\" for keytype ecdsa");

  TempDir dir;
  REQUIRE(openssl({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out",
                   dir / "small.pem"}) == 0);
  REQUIRE(openssl({"pkey", "-in", dir / "small.pem", "-pubout", "-out", dir / "small.pub"}) == 0);
  auto small = PublicKey::from_pem(read_text(dir / "small.pub"));
  REQUIRE_FALSE(small.ok());
  CHECK(small.error().message() == "RSA key of 1024 bits: at least 2048 are required");
  REQUIRE(openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out",
                   dir / "p384.pem"}) == 0);
  REQUIRE(openssl({"pkey", "-in", dir / "p384.pem", "-pubout", "-out", dir / "p384.pub"}) == 0);
  CHECK(PublicKey::from_pem(read_text(dir / "p384.pub")).error().message() ==
        "unsupported elliptic curve secp384r1: only P-256 is supported");
  CHECK(PrivateKey::generate(KeyType::kRsa, 1024).error().code() == ErrorCode::kUsage);
}

TEST_CASE("keys: encrypted PKCS#8 round trip and wrong passphrase", "[crypto][keys]") {
  PrivateKey key = generate(KeyType::kEcdsaP256);
  SecretBytes pass("correct horse");
  auto der = key.to_encrypted_der(pass, {1000});
  REQUIRE(der.ok());
  auto back = PrivateKey::from_encrypted_der(*der, pass);
  REQUIRE(back.ok());
  CHECK(back->public_key().key_id() == key.public_key().key_id());
  auto wrong = PrivateKey::from_encrypted_der(*der, SecretBytes("correct horsf"));
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code() == ErrorCode::kAuth);
  auto garbage = PrivateKey::from_encrypted_der("not der", pass);
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().code() == ErrorCode::kUsage);
}

TEST_CASE(
    "keys: encrypted keys use PBKDF2-HMAC-SHA256 600000 and AES-256-CBC, readable by "
    "openssl",
    "[crypto][keys][openssl]") {
  TempDir dir;
  PrivateKey key = generate(KeyType::kEd25519);
  auto der = key.to_encrypted_der(SecretBytes("s3cret-passphrase"));  // the default parameters
  REQUIRE(der.ok());
  write_text(dir / "enc.pem", crypto::pem_encode("ENCRYPTED PRIVATE KEY", *der));
  auto parsed = run_process({"openssl", "asn1parse", "-in", dir / "enc.pem"});
  REQUIRE(parsed.ok());
  CHECK_THAT(parsed->out, Catch::Contains(":PBES2") && Catch::Contains(":PBKDF2") &&
                              Catch::Contains(":hmacWithSHA256") &&
                              Catch::Contains(":aes-256-cbc") && Catch::Contains(":0927C0"));
  CHECK(openssl({"pkey", "-in", dir / "enc.pem", "-passin", "pass:s3cret-passphrase", "-pubout",
                 "-out", dir / "pub.pem"}) == 0);
  CHECK(PublicKey::from_pem(read_text(dir / "pub.pem"))->key_id() == key.public_key().key_id());
  CHECK(openssl({"pkey", "-in", dir / "enc.pem", "-passin", "pass:wrong", "-noout"}) != 0);
}

TEST_CASE("keys: keys encrypted by openssl (scrypt) can be read", "[crypto][keys][openssl]") {
  TempDir dir;
  PrivateKey key = generate(KeyType::kEcdsaP256);
  write_text(dir / "plain.pem", private_pem(key));
  REQUIRE(openssl({"pkcs8", "-topk8", "-scrypt", "-in", dir / "plain.pem", "-passout",
                   "pass:scrypt-pass", "-out", dir / "enc.pem"}) == 0);
  auto block = crypto::pem_decode(read_text(dir / "enc.pem"));
  REQUIRE(block.ok());
  auto back = PrivateKey::from_encrypted_der(block->der.view(), SecretBytes("scrypt-pass"));
  REQUIRE(back.ok());
  CHECK(back->public_key().key_id() == key.public_key().key_id());
}

TEST_CASE("keys: a key file demanding excessive scrypt work is refused before decrypting",
          "[crypto][keys][openssl]") {
  TempDir dir;
  PrivateKey key = generate(KeyType::kEcdsaP256);
  write_text(dir / "plain.pem", private_pem(key));
  // N*r*p = 2^14 * 8 * 72, above the limit of 2^23, yet cheap in memory for openssl to make.
  REQUIRE(openssl({"pkcs8", "-topk8", "-scrypt", "-scrypt_N", "16384", "-scrypt_r", "8",
                   "-scrypt_p", "72", "-in", dir / "plain.pem", "-passout", "pass:scrypt-pass",
                   "-out", dir / "costly.pem"}) == 0);
  auto block = crypto::pem_decode(read_text(dir / "costly.pem"));
  REQUIRE(block.ok());
  auto back = PrivateKey::from_encrypted_der(block->der.view(), SecretBytes("scrypt-pass"));
  REQUIRE_FALSE(back.ok());
  CHECK(back.error().code() == ErrorCode::kUsage);
  CHECK_THAT(back.error().message(), Catch::Contains("refusing scrypt cost"));
}

TEST_CASE("keys: signatures made by notary verify over re-canonicalised bytes",
          "[crypto][keys][notary]") {
  // ecdsa, raw r||s: the targets role of the keytypes repository (HTML-escaped, U+2028 names).
  {
    const std::string file = read_text(fixture("notary-keys/metadata/keytypes-targets.json"));
    auto env = canonical_json::parse(file);
    REQUIRE(env.ok());
    auto root = load_json(fixture("notary-keys/metadata/keytypes-root.json"));
    const std::string keyid = "6b923bdd9666325ce687f48ec8cbeb3b16b97d358c071cdd898e0bc1be134b76";
    const auto& entry = root["signed"]["keys"][keyid];
    auto pub = PublicKey::from_spki_der(
        *encoding::base64_decode(entry["keyval"]["public"].get<std::string>()));
    REQUIRE(pub.ok());
    CHECK(pub->notary_key_id() == keyid);
    const auto& sig = (*env)["signatures"][0];
    CHECK(sig["method"] == "ecdsa");
    const std::string raw_sig = *encoding::base64_decode(sig["sig"].get<std::string>());
    auto bytes = canonical_json::signed_bytes(*env);
    REQUIRE(bytes.ok());
    CHECK(pub->verify(*bytes, raw_sig, EcdsaEncoding::kRaw).ok());
    // The file's own bytes of "signed" are not what was signed.
    const auto start = file.find("{", file.find("\"signed\""));
    const auto end = file.find(",\"signatures\"");
    REQUIRE(end != std::string::npos);
    const std::string raw_signed = file.substr(start, end - start);
    CHECK(raw_signed != *bytes);
    CHECK_FALSE(pub->verify(raw_signed, raw_sig, EcdsaEncoding::kRaw).ok());
  }
  // rsassa-pss (notary "rsapss"): a delegation signed with the rsa key.
  {
    auto env = load_json(fixture("notary-keys/metadata/keytypes-targets-rsapub.json"));
    auto parent = load_json(fixture("notary-keys/metadata/keytypes-targets.json"));
    const std::string keyid = "c506a48a01933b1d38f74e0a2900f1caebcd2ce4477be78fd5ed5c30c2308d40";
    const auto& entry = parent["signed"]["delegations"]["keys"][keyid];
    CHECK(entry["keytype"] == "rsa");
    auto pub = PublicKey::from_spki_der(
        *encoding::base64_decode(entry["keyval"]["public"].get<std::string>()));
    REQUIRE(pub.ok());
    CHECK(pub->notary_key_id() == keyid);
    CHECK(env["signatures"][0]["method"] == "rsapss");
    const std::string sig =
        *encoding::base64_decode(env["signatures"][0]["sig"].get<std::string>());
    CHECK(pub->verify(*canonical_json::signed_bytes(env), sig).ok());
    CHECK_FALSE(pub->verify(*canonical_json::signed_bytes(env) + " ", sig).ok());
  }
  // ed25519 (notary "eddsa"): a timestamp signed by a server-held key.
  {
    auto env = load_json(fixture("notary-keys/metadata/ed25519-timestamp.json"));
    auto root = load_json(fixture("notary-keys/metadata/ed25519-root.json"));
    const std::string keyid = env["signatures"][0]["keyid"];
    const auto& entry = root["signed"]["keys"][keyid];
    CHECK(entry["keytype"] == "ed25519");
    auto pub = PublicKey::from_ed25519_raw(
        *encoding::base64_decode(entry["keyval"]["public"].get<std::string>()));
    REQUIRE(pub.ok());
    CHECK(pub->notary_key_id() == keyid);
    const std::string sig =
        *encoding::base64_decode(env["signatures"][0]["sig"].get<std::string>());
    CHECK(pub->verify(*canonical_json::signed_bytes(env), sig).ok());
  }
}

TEST_CASE("pem: headers, several blocks, malformed input", "[crypto][pem]") {
  const std::string text = crypto::pem_encode("PUBLIC KEY", "\x01\x02\x03\x04",
                                              {{"role", "targets"}, {"gun", "localhost:5000/a"}});
  CHECK(text ==
        "-----BEGIN PUBLIC KEY-----\nrole: targets\ngun: localhost:5000/a\n\nAQIDBA==\n"
        "-----END PUBLIC KEY-----\n");
  auto blocks = crypto::pem_decode_all("junk\n" + text + "more\n" +
                                       crypto::pem_encode("X", std::string(100, 'z')));
  REQUIRE(blocks.ok());
  REQUIRE(blocks->size() == 2);
  CHECK((*blocks)[0].header("ROLE") == "targets");
  CHECK((*blocks)[0].header("gun") == "localhost:5000/a");
  CHECK((*blocks)[0].der.view() == "\x01\x02\x03\x04");
  CHECK((*blocks)[1].der.view() == std::string(100, 'z'));
  CHECK(crypto::pem_decode(text + text).error().message() == "expected one PEM block, found 2");
  CHECK(crypto::pem_decode("-----BEGIN X-----\nAAAA\n").error().message() ==
        "malformed PEM: no END line for X");
  CHECK(crypto::pem_decode("-----BEGIN X-----\nA*AA\n-----END X-----\n").error().message() ==
        "malformed PEM: invalid base64 character");
  CHECK(crypto::pem_decode("-----BEGIN X-----\nAAAA\n-----END Y-----\n").error().message() ==
        "malformed PEM: END line does not match X");
}

TEST_CASE("secret bytes: constant-time equality, wiped shrink", "[crypto][secret]") {
  SecretBytes a("passphrase");
  CHECK(a.equals(SecretBytes("passphrase")));
  CHECK_FALSE(a.equals(SecretBytes("passphrasf")));
  CHECK_FALSE(a.equals(SecretBytes("pass")));
  SecretBytes b = a.clone();
  const char* storage = b.data();
  b.resize(4);
  CHECK(b.view() == "pass");
  CHECK(std::string_view(storage + 4, 6) == std::string(6, '\0'));  // the tail was wiped
}

TEST_CASE("KdfMemo: keys written together are read with one derivation, at full strength") {
  auto a = PrivateKey::generate(KeyType::kEcdsaP256);
  auto b = PrivateKey::generate(KeyType::kEd25519);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  const SecretBytes pass("repository passphrase");
  KdfParams params;
  params.pbkdf2_iterations = 20000;
  KdfMemo writer;
  auto da = a->to_encrypted_der(pass, params, &writer);
  auto db = b->to_encrypted_der(pass, params, &writer);
  REQUIRE(da.ok());
  REQUIRE(db.ok());
  CHECK(*da != *db);  // a fresh IV each, the same salt
  // A reader with a memo derives once for both.
  KdfMemo reader;
  auto ra = PrivateKey::from_encrypted_der(*da, pass, &reader);
  auto rb = PrivateKey::from_encrypted_der(*db, pass, &reader);
  REQUIRE(ra.ok());
  REQUIRE(rb.ok());
  CHECK(ra->public_key() == a->public_key());
  CHECK(rb->public_key() == b->public_key());
  CHECK(reader.derivations() == 1);
  // The files are ordinary PBES2: OpenSSL's own path (no memo) reads them too.
  auto plain = PrivateKey::from_encrypted_der(*db, pass);
  REQUIRE(plain.ok());
  CHECK(plain->public_key() == b->public_key());
  // A wrong passphrase is kAuth on the memo's path as on OpenSSL's, and costs its own
  // derivation (the memo never answers for another passphrase).
  auto wrong = PrivateKey::from_encrypted_der(*da, SecretBytes("repository passphrasf"), &reader);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code() == ErrorCode::kAuth);
  CHECK(reader.derivations() == 2);
  // Another passphrase gets another salt: a memo never makes two passphrases share one.
  auto dc = a->to_encrypted_der(SecretBytes("another passphrase"), params, &writer);
  REQUIRE(dc.ok());
  KdfMemo third;
  REQUIRE(PrivateKey::from_encrypted_der(*da, pass, &third).ok());
  REQUIRE(PrivateKey::from_encrypted_der(*dc, SecretBytes("another passphrase"), &third).ok());
  CHECK(third.derivations() == 2);
}

TEST_CASE("KdfMemo: a key encrypted by openssl itself (PBES2, its own salt) is read through it") {
  auto key = PrivateKey::generate(KeyType::kEcdsaP256);
  REQUIRE(key.ok());
  const SecretBytes pass("p4ssphrase");
  auto der = key->to_encrypted_der(pass);  // no memo: a random salt, 600,000 iterations
  REQUIRE(der.ok());
  KdfMemo memo;
  auto back = PrivateKey::from_encrypted_der(*der, pass, &memo);
  REQUIRE(back.ok());
  CHECK(back->public_key() == key->public_key());
  CHECK(memo.derivations() == 1);
}

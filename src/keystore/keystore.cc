#include "trustctl/keystore/keystore.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <regex>

#include "trustctl/core/encoding.h"
#include "trustctl/core/fs.h"
#include "trustctl/core/log.h"

namespace trustctl::keystore {

using crypto::PemBlock;
using crypto::PrivateKey;
using crypto::PublicKey;
using crypto::SecretBytes;

struct KeyStore::Pending {
  PrivateKey key;
  std::string role;
  std::string gun;
  std::string source;
  std::string source_id;
};

namespace {

constexpr std::string_view kEncryptedLabel = "ENCRYPTED PRIVATE KEY";
constexpr int kDecryptAttempts = 3;
constexpr std::size_t kMinPrefix = 4;

bool is_key_id(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Names of `dir`'s entries ending in `suffix`, sorted.
Result<std::vector<std::string>> list_dir(const std::string& dir, std::string_view suffix) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return names;
    return Error(ErrorCode::kIo, "cannot read folder " + dir + ": " + std::strerror(errno));
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(std::move(name));
    }
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::string file_stem(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  if (auto dot = name.rfind(".key"); dot != std::string::npos && dot + 4 == name.size()) {
    name.resize(dot);
  }
  return name;
}

// Reads a key file to import into wiped memory, sized once: it may hold an unencrypted key.
Result<SecretBytes> read_key_file(const std::string& path) {
  constexpr off_t kMaxKeyFileBytes = 1 << 20;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrorCode::kIo, "cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxKeyFileBytes) {
    ::close(fd);
    return Error(ErrorCode::kUsage, path + " is not a key file (not a regular file under 1 MiB)");
  }
  SecretBytes out(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Error(ErrorCode::kIo, "cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

bool is_private_label(std::string_view label) {
  return label == kEncryptedLabel || label == "PRIVATE KEY" || label == "EC PRIVATE KEY" ||
         label == "RSA PRIVATE KEY";
}

}  // namespace

Status validate_role(std::string_view role) {
  static const std::regex kRole("[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*");
  if (role.empty() || role.size() > 255 || !std::regex_match(role.begin(), role.end(), kRole)) {
    return Error(ErrorCode::kUsage, "invalid role '" + std::string(role) +
                                        "': use root, targets, snapshot, timestamp or a "
                                        "delegation name of letters, digits, '_', '.', '-', '/'");
  }
  return {};
}

Status validate_gun(std::string_view gun) {
  static const std::regex kGun("[A-Za-z0-9_.:/@-]+");
  if (gun.size() > 255 || (!gun.empty() && !std::regex_match(gun.begin(), gun.end(), kGun))) {
    return Error(ErrorCode::kUsage, "invalid repository name '" + std::string(gun) + "'");
  }
  return {};
}

KeyStore::KeyStore(std::string trust_dir, PassphraseSource& passphrases, KeyStoreOptions options)
    : trust_dir_(std::move(trust_dir)), passphrases_(passphrases), options_(std::move(options)) {
  while (trust_dir_.size() > 1 && trust_dir_.back() == '/') trust_dir_.pop_back();
  if (!options_.write_file) {
    options_.write_file = [](const std::string& path, std::string_view data, mode_t mode) {
      return fs::write_file_atomic(path, data, mode);
    };
  }
}

Status KeyStore::ensure_dirs() const {
  TRUSTCTL_TRY(fs::make_dirs(trust_dir_, 0700));
  TRUSTCTL_TRY(fs::make_dirs(private_dir(), 0700));
  // A folder made by someone else (or an older tool) may be wider: keys need 0700.
  if (::chmod(private_dir().c_str(), 0700) != 0) {
    return Error(ErrorCode::kIo,
                 "cannot set mode 0700 on " + private_dir() + ": " + std::strerror(errno));
  }
  return {};
}

Result<KeyInfo> KeyStore::read_info(const std::string& path, std::string_view file_id) const {
  TRUSTCTL_TRY_ASSIGN(auto text, fs::read_file(path));
  auto block = crypto::pem_decode(text);
  if (!block) return Error(ErrorCode::kIo, "key file " + path + ": " + block.error().message());
  if (block->label != kEncryptedLabel) {
    return Error(ErrorCode::kIo, "key file " + path + " is not an encrypted private key");
  }
  KeyInfo info;
  info.path = path;
  info.role = block->header("role");
  info.gun = block->header("gun");
  // The headers end up on terminals and in JSON: refuse (without echoing) anything else than
  // what validate_role/validate_gun allow, as a key file we did not write.
  if (!validate_role(info.role))
    return Error(ErrorCode::kIo, "key file " + path + ": invalid role header");
  if (!validate_gun(info.gun))
    return Error(ErrorCode::kIo, "key file " + path + ": invalid gun header");
  info.id = std::string(file_id);
  if (auto pub_b64 = block->header("public-key"); !pub_b64.empty()) {
    auto der = encoding::base64_decode(pub_b64);
    if (!der) return Error(ErrorCode::kIo, "key file " + path + ": malformed public-key header");
    auto pub = PublicKey::from_spki_der(*der);
    if (!pub) return Error(ErrorCode::kIo, "key file " + path + ": " + pub.error().message());
    if (pub->key_id() != file_id && pub->notary_key_id() != file_id) {
      return Error(ErrorCode::kVerification,
                   "key file " + path + " is named for another key than its public-key header");
    }
    info.id = pub->key_id();
    info.notary_id = pub->notary_key_id();
    info.type = pub->type();
    info.public_key = std::move(pub).value();
  }
  return info;
}

Result<std::vector<KeyInfo>> KeyStore::list() const {
  TRUSTCTL_TRY_ASSIGN(auto names, list_dir(private_dir(), ".key"));
  std::vector<KeyInfo> keys;
  for (const auto& name : names) {
    const std::string stem = name.substr(0, name.size() - 4);
    if (!is_key_id(stem)) continue;  // stray files (e.g. an interrupted write's temp file)
    auto info = read_info(private_dir() + "/" + name, stem);
    if (!info) {
      log::warn("skipping " + info.error().message());
      continue;
    }
    keys.push_back(std::move(info).value());
  }
  std::sort(keys.begin(), keys.end(), [](const KeyInfo& a, const KeyInfo& b) {
    return std::tie(a.role, a.gun, a.id) < std::tie(b.role, b.gun, b.id);
  });
  return keys;
}

Result<KeyInfo> KeyStore::find(std::string_view id) const {
  if (id.empty()) return Error(ErrorCode::kUsage, "empty key ID");
  if (is_key_id(id)) {
    const std::string path = private_dir() + "/" + std::string(id) + ".key";
    if (fs::exists(path)) return read_info(path, id);
  }
  TRUSTCTL_TRY_ASSIGN(auto keys, list());
  std::vector<KeyInfo> hits;
  for (auto& k : keys) {
    const bool exact = k.id == id || k.notary_id == id;
    const bool prefix =
        id.size() >= kMinPrefix &&
        (k.id.rfind(id, 0) == 0 || (!k.notary_id.empty() && k.notary_id.rfind(id, 0) == 0));
    if (exact) return std::move(k);
    if (prefix) hits.push_back(std::move(k));
  }
  if (hits.size() == 1) return std::move(hits.front());
  if (hits.size() > 1) {
    return Error(ErrorCode::kUsage, "key ID prefix '" + std::string(id) + "' matches " +
                                        std::to_string(hits.size()) + " keys: give more of it");
  }
  return Error(ErrorCode::kNotFound,
               "no key with ID '" + std::string(id) + "' in " + private_dir());
}

Result<PrivateKey> KeyStore::decrypt_der(std::string_view der, const std::string& id,
                                         const std::string& role) {
  for (int attempt = 0; attempt < kDecryptAttempts; ++attempt) {
    PassphraseRequest request{id, role, false, false, attempt};
    auto passphrase = passphrases_.get(request);
    if (!passphrase) {
      if (attempt == 0) return passphrase.error();
      break;
    }
    auto key = PrivateKey::from_encrypted_der(der, *passphrase, &kdf_memo_);
    if (key) return key;
    if (key.error().code() != ErrorCode::kAuth) {
      return Error(key.error().code(), "key " + id + ": " + key.error().message());
    }
    log::debug("wrong passphrase from " + passphrases_.last_origin());
  }
  return Error(ErrorCode::kAuth, "wrong passphrase for key " + id + " (role " + role +
                                     "); the passphrase came from " + passphrases_.last_origin());
}

Result<KeyInfo> KeyStore::write_key(const PrivateKey& key, const std::string& role,
                                    const std::string& gun, bool replace_existing) {
  TRUSTCTL_TRY(validate_role(role));
  TRUSTCTL_TRY(validate_gun(gun));
  const PublicKey& pub = key.public_key();
  KeyInfo info;
  info.id = pub.key_id();
  info.notary_id = pub.notary_key_id();
  info.role = role;
  info.gun = gun;
  info.type = pub.type();
  info.public_key = pub;
  info.path = private_dir() + "/" + info.id + ".key";
  if (!replace_existing && fs::exists(info.path)) {
    return Error(ErrorCode::kUsage, "key " + info.id + " is already in " + private_dir());
  }
  PassphraseRequest request{info.id, role, true, replace_existing, 0};
  TRUSTCTL_TRY_ASSIGN(auto passphrase, passphrases_.get(request));
  TRUSTCTL_TRY_ASSIGN(auto der, key.to_encrypted_der(passphrase, options_.kdf, &kdf_memo_));
  std::vector<std::pair<std::string, std::string>> headers = {{"role", role}};
  if (!gun.empty()) headers.emplace_back("gun", gun);
  headers.emplace_back("public-key", encoding::base64_encode(pub.spki_der()));
  TRUSTCTL_TRY(ensure_dirs());
  TRUSTCTL_TRY(
      options_.write_file(info.path, crypto::pem_encode(kEncryptedLabel, der, headers), 0600));
  return info;
}

Result<KeyInfo> KeyStore::add(const PrivateKey& key, std::string_view role, std::string_view gun) {
  return write_key(key, std::string(role), std::string(gun), /*replace_existing=*/false);
}

Result<KeyInfo> KeyStore::generate(crypto::KeyType type, std::string_view role,
                                   std::string_view gun, int rsa_bits) {
  TRUSTCTL_TRY(validate_role(role));
  TRUSTCTL_TRY(validate_gun(gun));
  TRUSTCTL_TRY_ASSIGN(auto key, PrivateKey::generate(type, rsa_bits));
  return add(key, role, gun);
}

Result<PrivateKey> KeyStore::load(std::string_view id) {
  TRUSTCTL_TRY_ASSIGN(auto info, find(id));
  TRUSTCTL_TRY_ASSIGN(auto text, fs::read_file(info.path));
  TRUSTCTL_TRY_ASSIGN(auto block, crypto::pem_decode(text));
  TRUSTCTL_TRY_ASSIGN(auto key, decrypt_der(block.der.view(), info.id, info.role));
  const PublicKey& pub = key.public_key();
  if ((info.public_key && !(*info.public_key == pub)) ||
      (pub.key_id() != info.id && pub.notary_key_id() != info.id)) {
    return Error(ErrorCode::kVerification,
                 "key file " + info.path + " holds another key than its name and header say");
  }
  return key;
}

Result<KeyInfo> KeyStore::change_passphrase(std::string_view id) {
  TRUSTCTL_TRY_ASSIGN(auto info, find(id));
  TRUSTCTL_TRY_ASSIGN(auto key, load(info.id));
  if (key.public_key().key_id() != info.id) {
    // A notary-named file: store it under its TUF ID and drop the old name afterwards.
    TRUSTCTL_TRY_ASSIGN(auto fresh, write_key(key, info.role, info.gun, /*replace_existing=*/true));
    if (::unlink(info.path.c_str()) != 0) {
      return Error(ErrorCode::kIo, "cannot remove " + info.path + ": " + std::strerror(errno));
    }
    return fresh;
  }
  return write_key(key, info.role, info.gun, /*replace_existing=*/true);
}

Status KeyStore::remove(std::string_view id) {
  TRUSTCTL_TRY_ASSIGN(auto info, find(id));
  if (::unlink(info.path.c_str()) != 0) {
    return Error(ErrorCode::kIo, "cannot remove " + info.path + ": " + std::strerror(errno));
  }
  int dfd = ::open(private_dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<std::vector<KeyStore::Pending>> KeyStore::read_import_file(const std::string& path,
                                                                  std::string_view source_id,
                                                                  const ImportOptions& options) {
  TRUSTCTL_TRY_ASSIGN(auto text, read_key_file(path));
  auto blocks = crypto::pem_decode_all(text.view());
  if (!blocks) return Error(ErrorCode::kUsage, path + ": " + blocks.error().message());
  std::vector<Pending> out;
  bool saw_public = false;
  for (const PemBlock& block : *blocks) {
    if (!is_private_label(block.label)) {
      saw_public = saw_public || block.label == "PUBLIC KEY" || block.label == "CERTIFICATE";
      continue;
    }
    std::string role = options.role.empty() ? block.header("role") : options.role;
    std::string gun = options.gun.empty() ? block.header("gun") : options.gun;
    if (role.empty()) {
      return Error(ErrorCode::kUsage, path + ": the key has no role: header; pass --role");
    }
    if (auto st = validate_role(role); !st) return st.error().wrap(path);
    if (auto st = validate_gun(gun); !st) return st.error().wrap(path);
    Result<PrivateKey> key = Error(ErrorCode::kInternal, "unset");
    if (block.label == kEncryptedLabel) {
      key = decrypt_der(block.der.view(), std::string(source_id), role);
    } else if (!block.header("Proc-Type").empty()) {
      key = Error(ErrorCode::kUsage,
                  "legacy PEM encryption (Proc-Type) is not supported: "
                  "convert with 'openssl pkcs8 -topk8'");
    } else {
      key = PrivateKey::from_der(block.der);
    }
    if (!key) return key.error().code() == ErrorCode::kAuth ? key.error() : key.error().wrap(path);
    if (!source_id.empty() && key->public_key().notary_key_id() != source_id &&
        key->public_key().key_id() != source_id) {
      log::warn(path + ": file name is not the key's ID (notary ID " +
                key->public_key().notary_key_id() + ")");
    }
    out.push_back(Pending{std::move(key).value(), role, gun, path, std::string(source_id)});
  }
  if (out.empty()) {
    return Error(ErrorCode::kUsage,
                 path + (saw_public ? " holds only a public key: import needs the private key"
                                    : " holds no PEM private key"));
  }
  return out;
}

Result<std::vector<ImportedKey>> KeyStore::import(const std::string& path,
                                                  const ImportOptions& options) {
  std::vector<std::string> files;
  if (is_dir(path)) {
    std::string dir = is_dir(path + "/private") ? path + "/private" : path;
    TRUSTCTL_TRY_ASSIGN(auto names, list_dir(dir, ".key"));
    for (auto& n : names) files.push_back(dir + "/" + n);
    if (files.empty()) return Error(ErrorCode::kUsage, "no *.key files in " + dir);
  } else {
    if (!fs::exists(path)) return Error(ErrorCode::kIo, "cannot open " + path + ": no such file");
    files.push_back(path);
  }
  // Decrypt everything first: a wrong passphrase for one key imports nothing.
  std::vector<Pending> pending;
  for (const auto& file : files) {
    const std::string stem = file_stem(file);
    TRUSTCTL_TRY_ASSIGN(auto keys, read_import_file(file, is_key_id(stem) ? stem : "", options));
    for (auto& k : keys) pending.push_back(std::move(k));
  }
  std::vector<ImportedKey> result;
  for (auto& p : pending) {
    ImportedKey imported;
    imported.source = p.source;
    imported.source_id = p.source_id;
    const std::string id = p.key.public_key().key_id();
    if (fs::exists(private_dir() + "/" + id + ".key")) {
      TRUSTCTL_TRY_ASSIGN(imported.key, find(id));
      imported.already_present = true;
    } else {
      TRUSTCTL_TRY_ASSIGN(imported.key, add(p.key, p.role, p.gun));
    }
    result.push_back(std::move(imported));
  }
  return result;
}

}  // namespace trustctl::keystore

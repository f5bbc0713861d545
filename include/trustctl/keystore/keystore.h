// The private keys of a trust dir (docs/keys.md):
//   <trust-dir>/            0700
//   <trust-dir>/private/    0700
//   <trust-dir>/private/<keyid>.key   0600, written atomically
// Each file is one PEM "ENCRYPTED PRIVATE KEY" (PKCS#8 EncryptedPrivateKeyInfo, PBES2 with
// PBKDF2-HMAC-SHA256 and AES-256-CBC) with headers:
//   role: <root|targets|snapshot|timestamp|delegation name>
//   gun: <repository>             (when the key belongs to one repository)
//   public-key: <base64 DER SubjectPublicKeyInfo>   (so list/export need no passphrase)
// <keyid> is the TUF key ID of the public key. Files in notary's layout (named by notary's key
// ID, without public-key header) are read as well.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustctl/core/result.h"
#include "trustctl/crypto/keys.h"
#include "trustctl/crypto/pem.h"
#include "trustctl/keystore/passphrase.h"

namespace trustctl::keystore {

struct KeyInfo {
  std::string id;         // TUF key ID (the file name without ".key")
  std::string notary_id;  // notary's key ID of the same key; empty when the public key is unknown
  std::string role;
  std::string gun;  // empty for keys not tied to one repository (root, delegations)
  std::optional<crypto::KeyType> type;
  std::optional<crypto::PublicKey> public_key;
  std::string path;
};

using FileWriter =
    std::function<Status(const std::string& path, std::string_view data, mode_t mode)>;

struct KeyStoreOptions {
  crypto::KdfParams kdf;
  FileWriter write_file;  // default fs::write_file_atomic; tests inject faults here
};

struct ImportOptions {
  std::string role;  // overrides a role: header
  std::string gun;   // overrides a gun: header
};

struct ImportedKey {
  KeyInfo key;
  std::string source;     // file it came from
  std::string source_id;  // the source file's name when it is a key ID (notary/docker trust dir)
  bool already_present = false;
};

// Roles are root, targets, snapshot, timestamp or a delegation name: [A-Za-z0-9_.-] segments
// separated by '/'. kUsage otherwise.
Status validate_role(std::string_view role);
Status validate_gun(std::string_view gun);

class KeyStore {
 public:
  KeyStore(std::string trust_dir, PassphraseSource& passphrases, KeyStoreOptions options = {});

  const std::string& trust_dir() const { return trust_dir_; }
  std::string private_dir() const { return trust_dir_ + "/private"; }

  // Every key file, sorted by role then ID. Needs no passphrase.
  Result<std::vector<KeyInfo>> list() const;
  // By full TUF key ID, full notary key ID, or an unambiguous prefix (at least 4 characters) of
  // either. kNotFound / kUsage (ambiguous).
  Result<KeyInfo> find(std::string_view id) const;

  // Encrypts `key` under the passphrase of `role` and stores it. kUsage if it is already there.
  Result<KeyInfo> add(const crypto::PrivateKey& key, std::string_view role, std::string_view gun);
  Result<KeyInfo> generate(crypto::KeyType type, std::string_view role, std::string_view gun,
                           int rsa_bits = crypto::kDefaultRsaBits);
  // Decrypts a key. A wrong passphrase is kAuth "wrong passphrase for key <id> (role <role>)".
  Result<crypto::PrivateKey> load(std::string_view id);
  // Re-encrypts a key under a new passphrase (PassphraseRequest::replacing).
  Result<KeyInfo> change_passphrase(std::string_view id);
  Status remove(std::string_view id);

  // Imports private keys from a PEM file (encrypted or not; role:/gun: headers as notary and
  // docker write them) or from every private/*.key of a notary or docker trust dir.
  Result<std::vector<ImportedKey>> import(const std::string& path, const ImportOptions& options);

  // PBKDF2 derivations this key store made so far: keys written together under one passphrase
  // share a salt, and are then read with one derivation (crypto::KdfMemo).
  int derivations() const { return kdf_memo_.derivations(); }

 private:
  struct Pending;  // a key decrypted by import, not yet written

  Result<KeyInfo> read_info(const std::string& path, std::string_view file_id) const;
  Result<crypto::PrivateKey> decrypt_der(std::string_view der, const std::string& id,
                                         const std::string& role);
  Result<KeyInfo> write_key(const crypto::PrivateKey& key, const std::string& role,
                            const std::string& gun, bool replace_existing);
  Status ensure_dirs() const;
  Result<std::vector<Pending>> read_import_file(const std::string& path, std::string_view source_id,
                                                const ImportOptions& options);

  std::string trust_dir_;
  PassphraseSource& passphrases_;
  KeyStoreOptions options_;
  crypto::KdfMemo kdf_memo_;
};

}  // namespace trustctl::keystore

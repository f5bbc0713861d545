// trustctl key generate|import|export|list|passwd|rm: the private keys of the trust dir
// (docs/keys.md).
#include <regex>

#include "render/emit.h"
#include "render/keys.h"
#include "trust_access.h"
#include "trustctl/core/fs.h"
#include "trustctl/crypto/keys.h"
#include "trustctl/crypto/pem.h"

namespace trustctl::cli {
namespace {

Status key_generate(Context& ctx) {
  const std::string& name = ctx.args[0];
  static const std::regex kName("[a-z0-9][a-z0-9_-]*");
  if (name.size() > 64 || !std::regex_match(name, kName))
    return Error(ErrorCode::kUsage,
                 "invalid key name '" + name + "': use lowercase letters, digits, '_' and '-'");
  if (keystore::classify_role(name) != keystore::RoleClass::kDelegation)
    return Error(ErrorCode::kUsage, "'" + name + "' is a top-level role, not a signer name");
  TRUSTCTL_TRY_ASSIGN(auto type, crypto::parse_key_type(*ctx.value("type")));
  const std::string pub_path = *ctx.value("dir") + "/" + name + ".pub";
  if (fs::exists(pub_path))
    return Error(ErrorCode::kUsage, "public key file " + pub_path + " already exists");
  TRUSTCTL_TRY_ASSIGN(auto access, open_keys(ctx));
  TRUSTCTL_TRY_ASSIGN(auto info, access->keys->generate(type, name, ""));
  auto written = fs::write_file_atomic(
      pub_path, crypto::pem_encode("PUBLIC KEY", info.public_key->spki_der(), {{"role", name}}),
      0644);
  if (!written) {
    (void)access->keys->remove(info.id);  // nothing half-made
    return written.error();
  }
  emit(ctx, GeneratedKey{info, pub_path});
  return {};
}

Status key_import(Context& ctx) {
  keystore::ImportOptions options;
  options.role = ctx.value("role").value_or("");
  options.gun = ctx.value("repo").value_or("");
  TRUSTCTL_TRY_ASSIGN(auto access, open_keys(ctx));
  TRUSTCTL_TRY_ASSIGN(auto imported, access->keys->import(ctx.args[0], options));
  emit(ctx, ImportedKeys{std::move(imported)});
  return {};
}

Status key_export(Context& ctx) {
  if (!ctx.has("public"))
    return Error(ErrorCode::kUsage, "only public keys can be exported: use --public");
  TRUSTCTL_TRY_ASSIGN(auto access, open_keys(ctx));
  TRUSTCTL_TRY_ASSIGN(auto info, access->keys->find(ctx.args[0]));
  if (!info.public_key)
    return Error(ErrorCode::kUnsupported,
                 "key file " + info.path +
                     " has no public-key header (a notary file): import it with 'trustctl key "
                     "import' first");
  ctx.out << info.public_key->to_pem();  // PEM, whatever the output format
  return {};
}

Status key_list(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto access, open_keys(ctx));
  TRUSTCTL_TRY_ASSIGN(auto keys, access->keys->list());
  emit(ctx, KeyList{std::move(keys)});
  return {};
}

Status key_passwd(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto access, open_keys(ctx));
  TRUSTCTL_TRY_ASSIGN(auto info, access->keys->change_passphrase(ctx.args[0]));
  emit(ctx, PassphraseChanged{std::move(info)});
  return {};
}

Status key_rm(Context& ctx) {
  TRUSTCTL_TRY_ASSIGN(auto access, open_keys(ctx));
  TRUSTCTL_TRY_ASSIGN(auto info, access->keys->find(ctx.args[0]));
  if (!ctx.has("yes")) {
    if (!keystore::stdin_is_tty())
      return Error(ErrorCode::kUsage,
                   "refusing to delete key " + info.id + " without confirmation: pass --yes");
    if (!keystore::confirm_on_tty("Delete key " + info.id + " (role " + info.role +
                                  ")? It cannot be recovered."))
      return Error(ErrorCode::kUsage, "key " + info.id + " not deleted");
  }
  TRUSTCTL_TRY(access->keys->remove(info.id));
  emit(ctx, KeyRemoved{std::move(info)});
  return {};
}

const PositionalSpec kKeyId{"KEYID", "a key ID, its notary ID, or an unambiguous prefix (4+)",
                            ValueKind::kKeyId};

}  // namespace

std::vector<CommandSpec> key_commands() {
  return {
      {"key generate",
       "New signer (delegation) key; writes NAME.pub",
       "Generate a signer (delegation) key NAME: the private key is stored encrypted in the trust "
       "dir, the public key is written to DIR/NAME.pub for the repository owner's 'trustctl "
       "signer add'.",
       {{"NAME", "the signer's name (lower case, digits, '-', '_')"}},
       {{"type", '\0', "TYPE", "Key type: ecdsa (P-256), ed25519 or rsa", ValueKind::kText, false,
         "ecdsa"},
        {"dir", '\0', "DIR", "Folder for NAME.pub", ValueKind::kDir, false, "."}},
       0,
       {"trustctl key generate release", "trustctl key generate ci --type ed25519 --dir /tmp"},
       {"TRUSTCTL_DELEGATION_PASSPHRASE", "TRUSTCTL_TRUST_DIR"},
       key_generate},
      {"key import",
       "Import PEM private keys, or a notary/docker trust dir",
       "Import private keys from a PEM file (encrypted PKCS#8 with notary's role:/gun: headers, "
       "or unencrypted) or from a notary/docker trust dir (~/.notary, ~/.docker/trust). Keys are "
       "re-encrypted for this trust dir with the passphrase of their role.",
       {{"FILE|DIR", "a PEM file or a trust dir", ValueKind::kFile}},
       {{"role", '\0', "ROLE", "Role of the key (overrides a role: header)", ValueKind::kRole},
        {"repo", '\0', "REPO", "Repository (GUN) the key belongs to (overrides a gun: header)",
         ValueKind::kRepository}},
       0,
       {"trustctl key import ~/.docker/trust", "trustctl key import online-keys.pem"},
       {"TRUSTCTL_ROOT_PASSPHRASE", "TRUSTCTL_REPOSITORY_PASSPHRASE",
        "TRUSTCTL_DELEGATION_PASSPHRASE", "TRUSTCTL_TRUST_DIR"},
       key_import},
      {"key export",
       "Print a key's public PEM",
       "Print the public key of KEYID as PEM (only public keys can be exported).",
       {kKeyId},
       {{"public", '\0', "", "Export the public key"}},
       0,
       {"trustctl key export --public 5fd22f67 > root.pub"},
       {"TRUSTCTL_TRUST_DIR"},
       key_export},
      {"key list",
       "List keys (ID, role, repository, type)",
       "List the keys of the trust dir. Needs no passphrase.",
       {},
       {},
       0,
       {"trustctl key list", "trustctl key list -o json"},
       {"TRUSTCTL_TRUST_DIR"},
       key_list,
       {"key ls"}},
      {"key passwd",
       "Change a key's passphrase",
       "Change the passphrase of KEYID. The old passphrase comes from the role's variable or a "
       "prompt, the new one from TRUSTCTL_NEW_PASSPHRASE or a prompt.",
       {kKeyId},
       {},
       0,
       {"trustctl key passwd 5fd22f67"},
       {"TRUSTCTL_NEW_PASSPHRASE", "TRUSTCTL_TRUST_DIR"},
       key_passwd},
      {"key rm",
       "Delete a key",
       "Delete KEYID from the trust dir. It cannot be recovered.",
       {kKeyId},
       {{"yes", 'y', "", "Do not ask for confirmation"}},
       0,
       {"trustctl key rm --yes 5fd22f67"},
       {"TRUSTCTL_TRUST_DIR"},
       key_rm,
       {"key remove", "key delete"}},
  };
}

}  // namespace trustctl::cli

// trustctl key generate|import|export|list|passwd|rm: the private keys of the trust dir.
#include <nlohmann/json.hpp>
#include <ostream>
#include <regex>
#include <set>

#include "command.h"
#include "trust_access.h"
#include "trustctl/core/fs.h"
#include "trustctl/crypto/keys.h"
#include "trustctl/crypto/pem.h"
#include "trustctl/keystore/keystore.h"

namespace trustctl::cli {
namespace {

using keystore::KeyInfo;
using keystore::KeyStore;

constexpr std::string_view kUsageText =
    "Manage the signing keys in the trust dir.\n\n"
    "Usage: trustctl key COMMAND [flags]\n\n"
    "Commands:\n"
    "  generate NAME [--type ed25519|ecdsa|rsa] [--dir DIR]\n"
    "                     new signer (delegation) key; writes NAME.pub\n"
    "  import FILE|DIR [--role R] [--repo GUN]\n"
    "                     import PEM private keys, or a notary/docker trust dir\n"
    "  export --public ID print a key's public PEM\n"
    "  list               list keys (ID, role, repository, type)\n"
    "  passwd ID          change a key's passphrase\n"
    "  rm ID [--yes]      delete a key\n\n"
    "Passphrases: see 'trustctl env' and docs/keys.md.\n";

std::string type_name(const KeyInfo& k) {
  return k.type ? std::string(crypto::key_type_name(*k.type)) : "unknown";
}

nlohmann::json key_json(const KeyInfo& k) {
  return {{"id", k.id},          {"notary_id", k.notary_id}, {"role", k.role},
          {"repository", k.gun}, {"type", type_name(k)},     {"path", k.path}};
}

Status run_generate(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "Generate a signer (delegation) key NAME: the private key is stored "
                           "encrypted in the trust dir, the public key is written to NAME.pub.");
  options.add_options()("type", "Key type: ecdsa (P-256), ed25519 or rsa",
                        cxxopts::value<std::string>()->default_value("ecdsa"))(
      "dir", "Folder for NAME.pub", cxxopts::value<std::string>()->default_value("."));
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1) {
    return Error(ErrorCode::kUsage, "key generate needs exactly one NAME");
  }
  const std::string& name = p.positional[0];
  static const std::regex kName("[a-z0-9][a-z0-9_-]*");
  if (name.size() > 64 || !std::regex_match(name, kName)) {
    return Error(ErrorCode::kUsage,
                 "invalid key name '" + name + "': use lowercase letters, digits, '_' and '-'");
  }
  if (keystore::classify_role(name) != keystore::RoleClass::kDelegation) {
    return Error(ErrorCode::kUsage, "'" + name + "' is a top-level role, not a signer name");
  }
  TRY_ASSIGN(auto type, crypto::parse_key_type(p.flags["type"].as<std::string>()));
  const std::string pub_path = p.flags["dir"].as<std::string>() + "/" + name + ".pub";
  if (fs::exists(pub_path)) {
    return Error(ErrorCode::kUsage, "public key file " + pub_path + " already exists");
  }
  keystore::EnvTtyPassphraseSource passphrases;
  TRY(check_trust_dir(p));
  KeyStore store(p.global.trust_dir, passphrases);
  TRY_ASSIGN(auto info, store.generate(type, name, ""));
  auto written = fs::write_file_atomic(
      pub_path, crypto::pem_encode("PUBLIC KEY", info.public_key->spki_der(), {{"role", name}}),
      0644);
  if (!written) {
    (void)store.remove(info.id);  // nothing half-made
    return written.error();
  }
  if (p.global.output == OutputFormat::kJson) {
    auto j = key_json(info);
    j["public_key_file"] = pub_path;
    *inv.out << j.dump(2) << "\n";
  } else {
    *inv.out << "Generated " << type_name(info) << " key " << info.id << " for signer " << name
             << "\nPublic key: " << pub_path << "\n";
  }
  return {};
}

Status run_import(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "Import private keys from a PEM file (encrypted PKCS#8 with notary's "
                           "role:/gun: headers, or unencrypted) or from a notary/docker trust dir "
                           "(~/.notary, ~/.docker/trust). Keys are re-encrypted for this trust "
                           "dir with the passphrase of their role.");
  options.add_options()("role", "Role of the key (overrides a role: header)",
                        cxxopts::value<std::string>())(
      "repo", "Repository (GUN) the key belongs to (overrides a gun: header)",
      cxxopts::value<std::string>());
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1) return Error(ErrorCode::kUsage, "key import needs one FILE");
  keystore::ImportOptions opts;
  if (p.flags.count("role")) opts.role = p.flags["role"].as<std::string>();
  if (p.flags.count("repo")) opts.gun = p.flags["repo"].as<std::string>();
  keystore::EnvTtyPassphraseSource passphrases;
  TRY(check_trust_dir(p));
  KeyStore store(p.global.trust_dir, passphrases);
  TRY_ASSIGN(auto imported, store.import(p.positional[0], opts));
  if (p.global.output == OutputFormat::kJson) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& k : imported) {
      auto j = key_json(k.key);
      j["source"] = k.source;
      j["already_present"] = k.already_present;
      list.push_back(j);
    }
    *inv.out << list.dump(2) << "\n";
    return {};
  }
  for (const auto& k : imported) {
    *inv.out << (k.already_present ? "Already present " : "Imported ") << k.key.id << " (role "
             << k.key.role << (k.key.gun.empty() ? "" : ", repository " + k.key.gun) << ", "
             << type_name(k.key) << ", notary ID " << k.key.notary_id << ") from " << k.source
             << "\n";
  }
  return {};
}

Status run_export(const Invocation& inv) {
  cxxopts::Options options(inv.program, "Print the public key of key ID as PEM.");
  options.add_options()("public", "Export the public key (the only kind that can be exported)");
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (!p.flags.count("public")) {
    return Error(ErrorCode::kUsage, "only public keys can be exported: use --public");
  }
  if (p.positional.size() != 1) return Error(ErrorCode::kUsage, "key export needs one key ID");
  keystore::EnvTtyPassphraseSource passphrases;
  TRY(check_trust_dir(p));
  KeyStore store(p.global.trust_dir, passphrases);
  TRY_ASSIGN(auto info, store.find(p.positional[0]));
  if (!info.public_key) {
    return Error(ErrorCode::kUnsupported,
                 "key file " + info.path +
                     " has no public-key header (a notary file): import it "
                     "with 'trustctl key import' first");
  }
  *inv.out << info.public_key->to_pem();
  return {};
}

Status run_list(const Invocation& inv) {
  cxxopts::Options options(inv.program, "List the keys of the trust dir.");
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (!p.positional.empty()) return Error(ErrorCode::kUsage, "key list takes no arguments");
  keystore::EnvTtyPassphraseSource passphrases;
  TRY(check_trust_dir(p));
  KeyStore store(p.global.trust_dir, passphrases);
  TRY_ASSIGN(auto keys, store.list());
  if (p.global.output == OutputFormat::kJson) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& k : keys) list.push_back(key_json(k));
    *inv.out << list.dump(2) << "\n";
    return {};
  }
  auto pad = [](std::string s, std::size_t n) {
    if (s.size() < n) s.resize(n, ' ');
    return s + " ";
  };
  *inv.out << pad("ID", 64) << pad("ROLE", 20) << pad("REPOSITORY", 32) << "TYPE\n";
  for (const auto& k : keys) {
    *inv.out << pad(k.id, 64) << pad(k.role, 20) << pad(k.gun.empty() ? "-" : k.gun, 32)
             << type_name(k) << "\n";
  }
  return {};
}

Status run_passwd(const Invocation& inv) {
  cxxopts::Options options(inv.program,
                           "Change the passphrase of key ID. The old passphrase comes from the "
                           "role's variable or a prompt, the new one from TRUSTCTL_NEW_PASSPHRASE "
                           "or a prompt.");
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1) return Error(ErrorCode::kUsage, "key passwd needs one key ID");
  keystore::EnvTtyPassphraseSource passphrases;
  TRY(check_trust_dir(p));
  KeyStore store(p.global.trust_dir, passphrases);
  TRY_ASSIGN(auto info, store.change_passphrase(p.positional[0]));
  if (p.global.output == OutputFormat::kJson) {
    *inv.out << key_json(info).dump(2) << "\n";
  } else {
    *inv.out << "Changed the passphrase of key " << info.id << " (role " << info.role << ")\n";
  }
  return {};
}

Status run_rm(const Invocation& inv) {
  cxxopts::Options options(inv.program, "Delete key ID from the trust dir.");
  options.add_options()("y,yes", "Do not ask for confirmation");
  TRY_ASSIGN(auto p, parse(options, inv));
  if (p.help) return {};
  if (p.positional.size() != 1) return Error(ErrorCode::kUsage, "key rm needs one key ID");
  keystore::EnvTtyPassphraseSource passphrases;
  TRY(check_trust_dir(p));
  KeyStore store(p.global.trust_dir, passphrases);
  TRY_ASSIGN(auto info, store.find(p.positional[0]));
  if (!p.flags.count("yes")) {
    if (!keystore::stdin_is_tty()) {
      return Error(ErrorCode::kUsage,
                   "refusing to delete key " + info.id + " without confirmation: pass --yes");
    }
    if (!keystore::confirm_on_tty("Delete key " + info.id + " (role " + info.role +
                                  ")? It cannot be recovered.")) {
      return Error(ErrorCode::kUsage, "key " + info.id + " not deleted");
    }
  }
  TRY(store.remove(info.id));
  if (p.global.output == OutputFormat::kJson) {
    *inv.out << nlohmann::json{{"removed", info.id}}.dump(2) << "\n";
  } else {
    *inv.out << "Removed key " << info.id << " (role " << info.role << ")\n";
  }
  return {};
}

}  // namespace

Command key_command() {
  return {"key", "Manage signing keys (generate, import, export, list, passwd, rm)",
          [](const Invocation& inv) {
            return dispatch_subcommand(inv,
                                       {{{"generate"}, run_generate},
                                        {{"import"}, run_import},
                                        {{"export"}, run_export},
                                        {{"list", "ls"}, run_list},
                                        {{"passwd"}, run_passwd},
                                        {{"rm", "remove", "delete"}, run_rm}},
                                       kUsageText);
          }};
}

}  // namespace trustctl::cli

#include "keys.h"

namespace trustctl::cli {
namespace {

std::string type_name(const keystore::KeyInfo& k) {
  return k.type ? std::string(crypto::key_type_name(*k.type)) : "unknown";
}

std::string pad(std::string s, std::size_t n) {
  if (s.size() < n) s.resize(n, ' ');
  return s + " ";
}

}  // namespace

nlohmann::json to_json(const keystore::KeyInfo& k) {
  return {{"id", k.id},          {"notary_id", k.notary_id}, {"role", k.role},
          {"repository", k.gun}, {"type", type_name(k)},     {"path", k.path}};
}

nlohmann::json to_json(const GeneratedKey& r) {
  auto j = to_json(r.key);
  j["public_key_file"] = r.public_key_file;
  return j;
}

void print_text(std::ostream& out, const GeneratedKey& r) {
  out << "Generated " << type_name(r.key) << " key " << r.key.id << " for signer " << r.key.role
      << "\nPublic key: " << r.public_key_file << "\n";
}

nlohmann::json to_json(const ImportedKeys& r) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& k : r.keys) {
    auto j = to_json(k.key);
    j["source"] = k.source;
    j["already_present"] = k.already_present;
    list.push_back(j);
  }
  return list;
}

void print_text(std::ostream& out, const ImportedKeys& r) {
  for (const auto& k : r.keys)
    out << (k.already_present ? "Already present " : "Imported ") << k.key.id << " (role "
        << k.key.role << (k.key.gun.empty() ? "" : ", repository " + k.key.gun) << ", "
        << type_name(k.key) << ", notary ID " << k.key.notary_id << ") from " << k.source << "\n";
}

nlohmann::json to_json(const KeyList& r) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& k : r.keys) list.push_back(to_json(k));
  return list;
}

void print_text(std::ostream& out, const KeyList& r) {
  out << pad("ID", 64) << pad("ROLE", 20) << pad("REPOSITORY", 32) << "TYPE\n";
  for (const auto& k : r.keys)
    out << pad(k.id, 64) << pad(k.role, 20) << pad(k.gun.empty() ? "-" : k.gun, 32) << type_name(k)
        << "\n";
}

nlohmann::json to_json(const PassphraseChanged& r) { return to_json(r.key); }

void print_text(std::ostream& out, const PassphraseChanged& r) {
  out << "Changed the passphrase of key " << r.key.id << " (role " << r.key.role << ")\n";
}

nlohmann::json to_json(const KeyRemoved& r) { return {{"removed", r.key.id}}; }

void print_text(std::ostream& out, const KeyRemoved& r) {
  out << "Removed key " << r.key.id << " (role " << r.key.role << ")\n";
}

}  // namespace trustctl::cli

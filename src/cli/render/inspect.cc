#include "inspect.h"

#include <algorithm>
#include <iomanip>

namespace trustctl::cli {
namespace {

using nlohmann::ordered_json;

constexpr std::string_view kRepoAdmin = "Repo Admin";  // docker's name for the targets key

std::string bare_hex(const std::string& digest) {
  auto colon = digest.find(':');
  return colon == std::string::npos ? digest : digest.substr(colon + 1);
}

ordered_json keys_json(const std::vector<std::string>& ids) {
  ordered_json keys = ordered_json::array();
  for (const auto& id : ids) keys.push_back({{"ID", id}});
  return keys;
}

// As docker: the signers other than the repository key, or "Repo Admin" alone.
std::vector<std::string> tag_signers(const trust::SignedTag& t) {
  std::vector<std::string> by;
  for (const auto& s : t.signers)
    if (s != "targets") by.push_back(s);
  if (by.empty()) by.push_back(std::string(kRepoAdmin));
  return by;
}

std::vector<trust::SignerInfo> by_name_descending(const trust::TrustedView& view) {
  std::vector<trust::SignerInfo> signers = view.signers;
  std::sort(signers.begin(), signers.end(),
            [](const trust::SignerInfo& a, const trust::SignerInfo& b) { return a.name > b.name; });
  return signers;
}

std::vector<std::string> role_keys(const trust::TrustedView& view, std::string_view role) {
  const trust::RoleInfo* r = view.role(role);
  return r ? r->keyids : std::vector<std::string>{};
}

std::vector<const trust::SignedTag*> shown_tags(const InspectEntry& e) {
  std::vector<const trust::SignedTag*> out;
  for (const auto& t : e.view.tags)
    if (e.tag.empty() || t.tag == e.tag) out.push_back(&t);
  return out;
}

// The platforms of `t`, when it is an index: nullptr otherwise.
const std::optional<std::vector<std::string>>* index_platforms(const InspectEntry& e,
                                                               const trust::SignedTag& t) {
  auto it = e.platforms.find(t.digest);
  return it == e.platforms.end() ? nullptr : &it->second;
}

void print_entry(std::ostream& out, const InspectEntry& e) {
  out << "\nSignatures for " << e.name << "\n\n";
  const auto tags = shown_tags(e);
  if (tags.empty()) {
    out << "No signatures for " << e.name << "\n\n";
  } else {
    out << std::left << std::setw(13) << "SIGNED TAG" << std::setw(67) << "DIGEST"
        << "SIGNERS\n";
    for (const auto* t : tags) {
      std::string by;
      for (const auto& s : tag_signers(*t)) by += (by.empty() ? "" : ", ") + s;
      out << std::left << std::setw(13) << t->tag << std::setw(67) << bare_hex(t->digest) << by
          << "\n";
      if (const auto* platforms = index_platforms(e, *t)) {
        std::string list;
        if (*platforms)
          for (const auto& p : **platforms) list += (list.empty() ? "" : ", ") + p;
        out << "  platforms: " << (*platforms ? list : "unknown") << "\n";
      }
    }
  }
  const auto signers = by_name_descending(e.view);
  if (!signers.empty()) {
    std::size_t width = 6;
    for (const auto& s : signers) width = std::max(width, s.name.size());
    out << "\nList of signers and their keys for " << e.name << "\n\n";
    out << std::left << std::setw(static_cast<int>(width + 4)) << "SIGNER"
        << "KEYS\n";
    for (const auto& s : signers) {
      std::string ids;
      for (const auto& k : s.keyids) ids += (ids.empty() ? "" : ", ") + k.substr(0, 12);
      out << std::left << std::setw(static_cast<int>(width + 4)) << s.name << ids << "\n";
    }
  }
  out << "\nAdministrative keys for " << e.name << "\n\n";
  for (const auto& id : role_keys(e.view, "targets")) out << "  Repository Key:\t" << id << "\n";
  for (const auto& id : role_keys(e.view, "root")) out << "  Root Key:\t" << id << "\n";
}

}  // namespace

ordered_json to_docker_json(const InspectReport& r) {
  ordered_json all = ordered_json::array();
  for (const auto& e : r.entries) {
    ordered_json signed_tags = ordered_json::array();
    for (const auto* t : shown_tags(e)) {
      ordered_json tag = {
          {"SignedTag", t->tag}, {"Digest", bare_hex(t->digest)}, {"Signers", tag_signers(*t)}};
      if (const auto* platforms = index_platforms(e, *t))
        tag["Platforms"] = *platforms ? ordered_json(**platforms) : ordered_json(nullptr);
      signed_tags.push_back(std::move(tag));
    }
    ordered_json signers = ordered_json::array();
    for (const auto& s : by_name_descending(e.view))
      signers.push_back({{"Name", s.name}, {"Keys", keys_json(s.keyids)}});
    all.push_back(
        {{"Name", e.name},
         {"SignedTags", signed_tags},
         {"Signers", signers},
         {"AdministrativeKeys",
          {{{"Name", "Root"}, {"Keys", keys_json(role_keys(e.view, "root"))}},
           {{"Name", "Repository"}, {"Keys", keys_json(role_keys(e.view, "targets"))}}}}});
  }
  return all;
}

void print_pretty(std::ostream& out, const InspectReport& r) {
  for (const auto& e : r.entries) print_entry(out, e);
}

}  // namespace trustctl::cli

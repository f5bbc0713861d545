// verify --offline --from DIR: the Verifier over an export's files, and its manifests.
#include <sys/stat.h>

#include "trustctl/core/fs.h"
#include "trustctl/trust/export.h"

namespace trustctl::trust {

Result<std::optional<std::string>> ExportManifests::signed_manifest(const SignedTag& target) {
  if (target.digest.size() <= 7) return std::optional<std::string>();
  const std::string path =
      dir_ + "/targets/" + target_file_name(target.digest.substr(7), target.tag);
  auto bytes = fs::read_regular_file(path, static_cast<std::uint64_t>(target.length));
  if (!bytes && bytes.error().code() == ErrorCode::kNotFound)
    return std::optional<std::string>();  // exported without --with-manifests
  if (!bytes) return bytes.error().wrap("the manifest of " + target.tag);
  return std::optional<std::string>(std::move(bytes).value());
}

Result<Verified> verify_export(const Verifier& verifier, const std::string& dir) {
  const registry::Reference& ref = verifier.repository();
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error(ErrorCode::kUsage,
                 dir + " is not a folder (give the folder 'trustctl repo export' wrote)");
  if (!fs::exists(dir + "/timestamp.json"))
    return Error(ErrorCode::kNoTrustData,
                 dir + " holds no trust data (no timestamp.json): not a 'trustctl repo export'");
  TRUSTCTL_TRY_ASSIGN(
      auto verified,
      verifier.verify(std::make_shared<DirectorySource>(dir), ref.name() + " in " + dir,
                      "trustctl repo refresh " + ref.name() + ", then export again"));
  auto& checks = verified.view.checks;
  checks.insert(checks.begin(), {"source", true, "offline export " + dir + " (no network)"});
  return verified;
}

}  // namespace trustctl::trust

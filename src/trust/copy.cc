#include "trustctl/trust/copy.h"

#include "proposals.h"

namespace trustctl::trust {
namespace {

bool is_trust_file(const std::string& name) { return name.rfind(detail::kPendingPrefix, 0) != 0; }

// The trust files of a state (no waiting versions): name -> digest.
std::map<std::string, std::string> trust_files(const truststore::StoreState& state) {
  std::map<std::string, std::string> files;
  for (const auto& [name, file] : state.files)
    if (is_trust_file(name)) files[name] = file.digest;
  return files;
}

// The version the destination's timestamp claims (unverified: it is only ever a reason to
// refuse, never to trust).
Result<std::int64_t> claimed_timestamp_version(truststore::TrustStore& to,
                                               const truststore::StoreState& state,
                                               const std::string& where_to) {
  auto bytes = to.file(state, "timestamp.json", 1 << 20);
  if (!bytes) return bytes.error().wrap("the trust data at " + where_to);
  auto parsed = tuf::Metadata<tuf::Timestamp>::from_bytes(*bytes);
  if (!parsed)
    return Error(ErrorCode::kVerification,
                 "the trust data at " + where_to + " has a malformed timestamp.json (" +
                     parsed.error().message() + "); remove it with trustctl repo delete first");
  return parsed->signed_part().version;
}

// Refuses a destination whose trust data is not an earlier state of the source's history.
Status check_destination(const StoreView& source, truststore::TrustStore& to,
                         const truststore::StoreState& there, const std::string& where_to) {
  const auto ours = trust_files(source.state);
  const auto theirs = trust_files(there);
  const auto first_root = [](const std::map<std::string, std::string>& files) {
    auto it = files.find("1.root.json");
    return it == files.end() ? std::string() : it->second;
  };
  if (first_root(theirs).empty() || first_root(theirs) != first_root(ours))
    return Error(ErrorCode::kVerification,
                 where_to +
                     " holds trust data of another root; copy does not replace it (remove "
                     "it with trustctl repo delete, if that is what you want)");
  TRUSTCTL_TRY_ASSIGN(auto version, claimed_timestamp_version(to, there, where_to));
  const std::int64_t ours_version = source.verified.timestamp_version();
  if (version > ours_version)
    return Error(ErrorCode::kFreshness,
                 where_to + " holds newer trust data (timestamp version " +
                     std::to_string(version) + ") than the source (version " +
                     std::to_string(ours_version) + "); copying would roll it back");
  if (version == ours_version)
    return Error(ErrorCode::kFreshness, where_to + " holds other trust data at the same version (" +
                                            std::to_string(version) +
                                            ") as the source: the two have diverged");
  return {};
}

}  // namespace

Result<TrustCopy> copy_trust_data(const StoreView& source, truststore::TrustStore& from,
                                  truststore::TrustStore& to, const std::string& where_to) {
  TRUSTCTL_TRY_ASSIGN(auto there, to.read());
  if (there) {
    if (trust_files(*there) == trust_files(source.state)) return TrustCopy::kUnchanged;
    TRUSTCTL_TRY(check_destination(source, to, *there, where_to));
  }
  std::map<std::string, std::string> files;
  for (const auto& [name, file] : source.state.files) {
    if (!is_trust_file(name)) continue;
    TRUSTCTL_TRY_ASSIGN(files[name],
                        from.file(source.state, name, static_cast<std::uint64_t>(file.size)));
  }
  TRUSTCTL_TRY(to.write(files));
  return TrustCopy::kWritten;
}

Result<StoreView> verify_copy(const Verified& source, const std::string& source_path,
                              truststore::TrustStore& to, const registry::Reference& destination,
                              const TrustDir& scratch) {
  const auto& root_role = source.root().roles.at("root");
  TRUSTCTL_TRY(scratch.save_pins({Pin{destination.name(), root_role.keyids}}));
  VerifyOptions options;
  if (destination.repository != source_path) options.repository_alias = source_path;
  const Verifier verifier(scratch, destination, options);
  return verify_store(verifier, to);
}

}  // namespace trustctl::trust

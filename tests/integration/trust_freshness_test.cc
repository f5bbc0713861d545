// Freshness without a server: expiry warnings, the expiry error naming its fix, and renewal by
// `repo refresh`, against a real registry with an injected clock.
#include <catch2/catch.hpp>

#include "registry_env.h"
#include "support/trust_session.h"
#include "trustctl/keystore/keystore.h"
#include "trustctl/keystore/passphrase.h"
#include "trustctl/truststore/oci_store.h"

using namespace trustctl;
using namespace trustctl::testing;

TEST_CASE("timestamp expiry: warned before, refused after with the fix named, renewed") {
  TempDir tmp;
  auto reg = start_registry();
  REQUIRE(push_fixtures(*reg, "secure-app").ok());
  auto client = client_for(*reg, tmp.path);
  keystore::FixedPassphraseSource passphrase("a-long-passphrase");
  crypto::KdfParams fast_kdf;
  fast_kdf.pbkdf2_iterations = 1000;
  keystore::KeyStore keys(tmp.path + "/trust", passphrase, {fast_kdf, {}});
  auto ref = registry::Reference::parse(reg->host_port() + "/secure-app").value();

  std::int64_t now = 1'800'000'000;
  SessionOptions options;
  options.trust_dir = tmp.path + "/trust";
  options.clock = [&] { return now; };
  options.publish.protocol.settle = std::chrono::milliseconds(100);
  std::vector<std::string> notices;
  options.notice = [&](const std::string& m) { notices.push_back(m); };
  auto cache = trust::TrustDir(options.trust_dir).blob_cache();
  truststore::OciTrustStore store(*client, ref.repository, &cache);
  trust::RegistryManifests manifests(*client, ref);
  TrustSession ct(store, manifests, manifests, keys, ref, options);

  REQUIRE(ct.sign({{"signed", ""}}, true).ok());
  trust::TrustedView view;
  REQUIRE(ct.verify_tag("signed", "", &view).ok());
  CHECK(view.warnings.empty());

  now += 8 * 86400;  // 6 days left of the 14-day timestamp: warned
  REQUIRE(ct.verify_tag("signed", "", &view).ok());
  REQUIRE(view.warnings.size() == 1);
  CHECK(view.warnings[0].find("timestamp") != std::string::npos);
  CHECK(view.warnings[0].find("trustctl repo refresh " + ref.name()) != std::string::npos);

  now += 7 * 86400;  // expired: a freeze, exit 13, and the message says how to fix it
  auto expired = ct.verify_tag("signed");
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().exit_code() == 13);
  CHECK(expired.error().message().find("trustctl repo refresh " + ref.name()) != std::string::npos);

  auto renewed = ct.renew();
  INFO((renewed.ok() ? "" : renewed.error().message()));
  REQUIRE(renewed.ok());
  REQUIRE(ct.verify_tag("signed", "", &view).ok());
  CHECK(view.warnings.empty());
  for (const auto& r : view.roles)
    if (r.name == "timestamp") CHECK(r.expires == now + 14 * 86400);
}

// The registry-fixtures/ images: their fixed digests and a helper that pushes them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "support/registry_harness.h"
#include "trustctl/core/result.h"

namespace trustctl::testing {

// Byte-identical on every run (registry-fixtures/README.md lists the same values).
namespace fixture_digest {
inline constexpr char kV1[] =
    "sha256:587708c8f8f1e61cdc96f1ec9f79a90573d6b6fc247d8e77c9e5145899861652";
inline constexpr char kV1Docker[] =
    "sha256:102b2ce8e4a73bea5da9249b18d36dc2e3ad96fec634a0aa88bac67bb8de1790";
inline constexpr char kMulti[] =
    "sha256:7b5754d68568057e2e022526946819fd30609c276cce108b3a15ded5c401577c";
inline constexpr char kMultiDocker[] =
    "sha256:bcddd5f9ededc12ab2e32f6d77a1300ba3229a31d3e97845648bf059b4374157";
// The platform children: multi's amd64 child is kV1, multi-docker's amd64 child is kV1Docker.
inline constexpr char kMultiArm64[] =
    "sha256:b28fe79b7c23f4f7e9ac81d6f8b744ea17894446983c01970fb11c5024b44ac1";
inline constexpr char kMultiDockerArm64[] =
    "sha256:bf99920a766af6503b55a64c8c2edf7d853e0e8602cefe8f9c0957466dabaade";
inline constexpr char kSecureApp[] =
    "sha256:5a5f596f95ccf38b57db31f0405dcf9b1c4d6065acbdee852ce3f468dcb42008";
}  // namespace fixture_digest

inline constexpr char kOciManifest[] = "application/vnd.oci.image.manifest.v1+json";
inline constexpr char kOciIndex[] = "application/vnd.oci.image.index.v1+json";
inline constexpr char kDockerManifest[] = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr char kDockerManifestList[] =
    "application/vnd.docker.distribution.manifest.list.v2+json";

struct PushedTag {
  std::string tag;
  std::string digest;
  std::string media_type;
};

// Paths of the tools and fixtures, fixed at build time.
std::string fixtures_dir();               // <source>/registry-fixtures
std::string token_server_program();       // trustctl-test-token-server
std::string testenv_program();            // trustctl-testenv
std::string credential_helper_program();  // tests/support/docker-credential-trustctl-test

struct PushOptions {
  std::vector<std::string> app_tags = {"app", "signed"};  // APP_TAGS: tags of the lab app
  std::vector<std::string> extra_flags;  // more skopeo copy flags (after the registry's own)
  std::string layout;  // a layout from make_fixture_layout(); empty: push-images.sh builds one
};

// Runs registry-fixtures/push-images.sh against `reg` with reg.skopeo_dest_flags() and parses
// its "TAG DIGEST MEDIATYPE" lines.
Result<std::vector<PushedTag>> push_fixtures(const TestRegistry& reg, std::string_view repo,
                                             const PushOptions& options = {});

// Runs registry-fixtures/make-images.sh OUT_DIR; returns its "TAG DIGEST MEDIATYPE" lines.
Result<std::vector<PushedTag>> make_fixture_layout(const std::string& out_dir);

}  // namespace trustctl::testing

// What a publication reports: sign, sign/revoke --signer, revoke, repo init/rotate/repair,
// signer add/remove.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "emit.h"
#include "trustctl/trust/operations.h"

namespace trustctl::cli {

struct SignReport {
  std::string repository;
  std::vector<trust::SignedTag> tags;
};
// [{"reference","tag","digest","size","mediaType"}]
TRUSTCTL_RENDERED(SignReport);

struct SignerVersionReport {
  std::string repository;
  std::string signer;
  bool revoke = false;
  trust::SignerOutcome outcome;
};
// {"repository","signer","version","signed"|"revoked","signatures","threshold","signed_by",
//  "waiting_for","published"}
TRUSTCTL_RENDERED(SignerVersionReport);

struct RevokeReport {
  std::string repository;
  trust::Revocation revocation;
};
// {"repository","revoked":[...],"still_signed":[{"tag","digest","signers"}]}
TRUSTCTL_RENDERED(RevokeReport);

struct InitReport {
  std::string repository;
};
TRUSTCTL_RENDERED(InitReport);  // {"repository","initialised":true}

struct RotateReport {
  std::string repository;
  std::string role;
  std::string keyid;
  std::int64_t root_version = 0;
};
TRUSTCTL_RENDERED(RotateReport);  // {"repository","role","keyid","root_version"}

struct RepairReport {
  std::string repository;
  trust::TrustedView view;
  std::vector<std::string> dropped;
};
// {"repository","timestamp_version","signed_tags","dropped"}
TRUSTCTL_RENDERED(RepairReport);  // dropped files on stderr

struct SignerAddReport {
  std::string repository;
  trust::SignerInfo signer;
};
TRUSTCTL_RENDERED(SignerAddReport);  // {"repository","signer","keyids","threshold"}

struct SignerRemoveReport {
  std::string repository;
  std::string signer;
  std::vector<std::string> keys;  // empty: the whole signer
};
TRUSTCTL_RENDERED(SignerRemoveReport);  // {"repository","signer","removed_keys"}

}  // namespace trustctl::cli

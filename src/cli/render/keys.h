// The keys of the trust dir: key generate|import|list|passwd|rm.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "emit.h"
#include "trustctl/keystore/keystore.h"

namespace trustctl::cli {

// {"id","notary_id","role","repository","type","path"}
nlohmann::json to_json(const keystore::KeyInfo& k);

struct GeneratedKey {
  keystore::KeyInfo key;
  std::string public_key_file;
};
TRUSTCTL_RENDERED(GeneratedKey);  // the key and "public_key_file"

struct ImportedKeys {
  std::vector<keystore::ImportedKey> keys;
};
TRUSTCTL_RENDERED(ImportedKeys);  // [the key and "source","already_present"]

struct KeyList {
  std::vector<keystore::KeyInfo> keys;
};
TRUSTCTL_RENDERED(KeyList);  // ID ROLE REPOSITORY TYPE

struct PassphraseChanged {
  keystore::KeyInfo key;
};
TRUSTCTL_RENDERED(PassphraseChanged);

struct KeyRemoved {
  keystore::KeyInfo key;
};
TRUSTCTL_RENDERED(KeyRemoved);  // {"removed": ID}

}  // namespace trustctl::cli

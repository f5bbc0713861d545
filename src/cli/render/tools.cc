#include "tools.h"

#include "trustctl/core/environment.h"

namespace trustctl::cli {

nlohmann::json to_json(const EnvReport&) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& var : known_environment()) {
    auto value = env_value(var.name);
    nlohmann::json row = {{"name", var.name},
                          {"description", var.description},
                          {"sensitive", var.sensitive},
                          {"set", value.has_value()}};
    if (value && !var.sensitive) row["value"] = *value;
    list.push_back(row);
  }
  return list;
}

void print_text(std::ostream& out, const EnvReport& r) {
  for (const auto& row : to_json(r)) {
    std::string shown = "(unset)";
    if (row["set"].get<bool>())
      shown = row.contains("value") ? row["value"].get<std::string>() : "(set, hidden)";
    out << row["name"].get<std::string>() << "=" << shown << "\n    "
        << row["description"].get<std::string>() << "\n";
  }
}

nlohmann::json to_json(const VersionReport& r) {
  return {{"version", r.version}, {"openssl", r.openssl}, {"libcurl", r.libcurl}};
}

void print_text(std::ostream& out, const VersionReport& r) {
  out << "trustctl " << r.version << "\n  " << r.openssl << "\n  libcurl " << r.libcurl << "\n";
}

}  // namespace trustctl::cli

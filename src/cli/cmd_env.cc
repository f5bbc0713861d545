#include <nlohmann/json.hpp>
#include <ostream>

#include "command.h"
#include "trustctl/core/environment.h"

namespace trustctl::cli {

Command env_command() {
  return {"env", "List the environment variables trustctl reads",
          [](const Invocation& inv) -> Status {
            cxxopts::Options options(inv.program,
                                     "List every environment variable trustctl reads and whether "
                                     "it is set. Values of sensitive variables are never shown.");
            TRY_ASSIGN(auto p, parse(options, inv));
            if (p.help) return {};
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
            if (p.global.output == OutputFormat::kJson) {
              *inv.out << list.dump(2) << "\n";
              return {};
            }
            for (const auto& row : list) {
              std::string shown = "(unset)";
              if (row["set"].get<bool>())
                shown = row.contains("value") ? row["value"].get<std::string>() : "(set, hidden)";
              *inv.out << row["name"].get<std::string>() << "=" << shown << "\n    "
                       << row["description"].get<std::string>() << "\n";
            }
            return {};
          }};
}

}  // namespace trustctl::cli

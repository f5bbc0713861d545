#include "yaml_util.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace trustctl::admission {

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  int line = node.Mark().line;
  if (line >= 0) return line + 1;
  // A map rebuilt by apply_merge_keys: the line of its first key.
  if (node.IsMap())
    for (const auto& kv : node) return line_of(kv.first);
  if (node.IsSequence())
    for (const auto& item : node) return line_of(item);
  return 0;
}

Error usage_at(const std::string& file, int line, const std::string& message) {
  return Error(ErrorCode::kUsage,
               file + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + message);
}

Error usage_at(const std::string& file, const YAML::Node& node, const std::string& message) {
  return usage_at(file, line_of(node), message);
}

Result<std::vector<YAML::Node>> load_all(std::string_view text, const std::string& file) {
  try {
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return usage_at(file, e.mark.line + 1, "not YAML: " + e.msg);
  }
}

namespace {

bool is_merge_key(const YAML::Node& key) {
  return key.IsScalar() && key.Scalar() == "<<" && key.Tag() != "tag:yaml.org,2002:str" &&
         key.Tag() != "!";
}

// Keeps the original scalar and key nodes (and so their line numbers); only maps and lists
// are rebuilt. A rebuilt map has no mark of its own: line_of_map() falls back to its first key.
Result<YAML::Node> merge(const YAML::Node& node, const std::string& file, int depth) {
  if (depth > 100) return usage_at(file, node, "YAML nested too deeply");
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      YAML::Node out(YAML::NodeType::Sequence);
      for (const auto& item : node) {
        TRUSTCTL_TRY_ASSIGN(YAML::Node copy, merge(item, file, depth + 1));
        out.push_back(copy);
      }
      return out;
    }
    case YAML::NodeType::Map: {
      YAML::Node out(YAML::NodeType::Map);
      std::vector<YAML::Node> sources;
      std::set<std::string> keys;
      for (const auto& kv : node) {
        if (is_merge_key(kv.first)) {
          if (kv.second.IsMap()) {
            sources.push_back(kv.second);
          } else if (kv.second.IsSequence()) {
            for (const auto& s : kv.second) {
              if (!s.IsMap()) return usage_at(file, s, "a `<<` merge list holds maps only");
              sources.push_back(s);
            }
          } else {
            return usage_at(file, kv.second, "`<<` merges a map or a list of maps");
          }
          continue;
        }
        TRUSTCTL_TRY_ASSIGN(YAML::Node value, merge(kv.second, file, depth + 1));
        if (kv.first.IsScalar()) {
          if (!keys.insert(kv.first.Scalar()).second)
            return usage_at(file, kv.first, "key \"" + kv.first.Scalar() + "\" appears twice");
        }
        out.force_insert(kv.first, value);
      }
      // Keys the map sets itself win; among the merged maps the earlier one wins.
      for (const auto& source : sources) {
        TRUSTCTL_TRY_ASSIGN(YAML::Node merged, merge(source, file, depth + 1));
        for (const auto& kv : merged) {
          if (kv.first.IsScalar() && !keys.insert(kv.first.Scalar()).second) continue;
          out.force_insert(kv.first, kv.second);
        }
      }
      return out;
    }
    default:
      return node;
  }
}

}  // namespace

Result<YAML::Node> apply_merge_keys(const YAML::Node& node, const std::string& file) {
  return merge(node, file, 0);
}

bool truthy(const YAML::Node& node) {
  if (!node.IsScalar()) return false;
  std::string v = node.Scalar();
  std::transform(v.begin(), v.end(), v.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return v == "true" || v == "yes" || v == "on" || v == "y";
}

}  // namespace trustctl::admission

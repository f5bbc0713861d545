#include "trustctl/admission/pin.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "yaml_util.h"

namespace trustctl::admission {

namespace {

// Every message names file:line, also for a line number out of range (usage_at prints "?").
Error usage(const std::string& file, int line, const std::string& message) {
  return Error(ErrorCode::kUsage, file + ":" + std::to_string(line) + ": " + message);
}

bool blank(char c) { return c == ' ' || c == '\t'; }
bool flow_indicator(char c) { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'; }

// A line's content, without its "\n" or "\r\n", as offsets into the text.
struct Line {
  size_t begin = 0;
  size_t end = 0;
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t nl = text.find('\n', begin);
    if (nl == std::string_view::npos) {
      lines.push_back({begin, text.size()});
      break;
    }
    size_t end = nl > begin && text[nl - 1] == '\r' ? nl - 1 : nl;
    lines.push_back({begin, end});
    begin = nl + 1;
  }
  return lines;
}

// The value of one `image:` key: [begin, end) within its line, quotes included.
struct Value {
  size_t key_column = 0;
  size_t begin = 0;
  size_t end = 0;
  char quote = 0;  // '"', '\'' or 0 for a plain scalar
  bool flow = false;
};

// The offset of the quote closing the scalar that opens at `open`, or npos.
size_t closing_quote(std::string_view line, size_t open) {
  const char q = line[open];
  for (size_t k = open + 1; k < line.size(); ++k) {
    if (q == '"' && line[k] == '\\') {
      ++k;
    } else if (line[k] == q) {
      if (q == '\'' && k + 1 < line.size() && line[k + 1] == '\'') {
        ++k;  // '' is an escaped quote
      } else {
        return k;
      }
    }
  }
  return std::string_view::npos;
}

// The end of a plain scalar starting at `begin` (trailing blanks excluded). It ends at a comment,
// at ": " (a key), and in a flow collection also at a flow indicator.
size_t plain_end(std::string_view line, size_t begin, bool flow) {
  size_t k = begin;
  for (; k < line.size(); ++k) {
    const char c = line[k];
    if (c == ':' &&
        (k + 1 == line.size() || blank(line[k + 1]) || (flow && flow_indicator(line[k + 1]))))
      break;
    if (c == '#' && k > begin && blank(line[k - 1])) break;
    if (flow && flow_indicator(c)) break;
  }
  while (k > begin && blank(line[k - 1])) --k;
  return k;
}

size_t skip_blanks(std::string_view line, size_t k) {
  while (k < line.size() && blank(line[k])) ++k;
  return k;
}

// Anchors (&a), tags (!t) and aliases (*a) run up to a blank (or a flow indicator).
size_t property_end(std::string_view line, size_t k, bool flow) {
  while (k < line.size() && !blank(line[k]) && !(flow && flow_indicator(line[k]))) ++k;
  return k;
}

// The value after an `image:` key; `k` is just past the ':'.
Result<Value> value_after_key(std::string_view line, size_t k, size_t key_column, bool flow,
                              const std::string& file, int number) {
  auto none = [&] {
    return usage(file, number,
                 "image: has no value on this line (a value on the next line cannot be pinned)");
  };
  k = skip_blanks(line, k);
  while (k < line.size() && (line[k] == '&' || line[k] == '!')) {
    k = skip_blanks(line, property_end(line, k, flow));  // kept as written
  }
  if (k == line.size() || line[k] == '#' || (flow && (line[k] == ',' || line[k] == '}'))) {
    return none();
  }
  const char c = line[k];
  if (c == '|' || c == '>') {
    return usage(file, number,
                 std::string("image: is a block scalar (") + c + "), which cannot be pinned");
  }
  if (c == '*') {
    return usage(file, number, "image: is an alias; pin the line of the anchored value instead");
  }
  if (c == '[' || c == '{' || c == ']') {
    return usage(file, number, "image: is not a string");
  }
  Value v;
  v.key_column = key_column;
  v.begin = k;
  v.flow = flow;
  if (c == '"' || c == '\'') {
    size_t close = closing_quote(line, k);
    if (close == std::string_view::npos) {
      return usage(file, number,
                   "image: has an unterminated quote (a quoted value continued on the next line "
                   "cannot be pinned)");
    }
    v.end = close + 1;
    v.quote = c;
  } else {
    v.end = plain_end(line, k, flow);
    if (v.end == v.begin) return none();
  }
  return v;
}

// Finds every `image:` key on one line, tracking flow collections opened on that line. Text inside
// quoted scalars and comments is never a key. `begin` skips a byte-order mark on line 1.
Result<std::vector<Value>> image_values(std::string_view line, size_t begin,
                                        const std::string& file, int number) {
  std::vector<Value> values;
  int depth = 0;
  bool expect_key = true;
  size_t i = begin;
  while (true) {
    i = skip_blanks(line, i);
    if (i >= line.size()) break;
    const char c = line[i];
    const bool flow = depth > 0;
    if (c == '#' && (i == begin || blank(line[i - 1]))) break;  // a comment
    if ((c == '-' || c == '?') && (i + 1 == line.size() || blank(line[i + 1]))) {
      ++i;  // a sequence entry or an explicit key: a key may follow
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
      ++i;
      expect_key = true;
      continue;
    }
    if (c == '}' || c == ']') {
      if (depth > 0) --depth;
      ++i;
      expect_key = false;
      continue;
    }
    if (c == ',' && flow) {
      ++i;
      expect_key = true;
      continue;
    }
    if (c == ':') {  // the value indicator after a quoted key (or "key :")
      ++i;
      expect_key = false;
      continue;
    }
    if (c == '&' || c == '!' || c == '*') {
      i = property_end(line, i, flow);
      continue;
    }
    if (c == '|' || c == '>') break;  // a block scalar's header: its content is on later lines
    if (c == '"' || c == '\'') {
      const size_t close = closing_quote(line, i);
      if (close == std::string_view::npos) break;  // continued on the next line
      const size_t after = skip_blanks(line, close + 1);
      if (expect_key && after < line.size() && line[after] == ':' &&
          line.substr(i + 1, close - i - 1) == "image") {
        TRUSTCTL_TRY_ASSIGN(Value v, value_after_key(line, after + 1, i, flow, file, number));
        values.push_back(v);
        i = v.end;
        expect_key = false;
        continue;
      }
      i = close + 1;
      continue;
    }
    const size_t end = plain_end(line, i, flow);
    size_t colon = skip_blanks(line, end);
    if (expect_key && line.substr(i, end - i) == "image" && colon < line.size() &&
        line[colon] == ':' && (colon + 1 == line.size() || blank(line[colon + 1]))) {
      TRUSTCTL_TRY_ASSIGN(Value v, value_after_key(line, colon + 1, i, flow, file, number));
      values.push_back(v);
      i = v.end;
      expect_key = false;
      continue;
    }
    i = std::max(end, i + 1);
  }
  return values;
}

// A plain scalar is kept plain when the replacement reads back unchanged as one; otherwise it is
// double-quoted.
bool plain_safe(std::string_view s, bool flow) {
  if (s.empty() || blank(s.front()) || blank(s.back())) return false;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(s.front()) != std::string_view::npos) {
    return false;
  }
  if (s.back() == ':') return false;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] == ':' && k + 1 < s.size() && (blank(s[k + 1]) || (flow && flow_indicator(s[k + 1]))))
      return false;
    if (s[k] == '#' && k > 0 && blank(s[k - 1])) return false;
    if (flow && flow_indicator(s[k])) return false;
  }
  return true;
}

std::string double_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string single_quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string replacement(const Value& v, const std::string& pinned) {
  if (v.quote == '\'') return single_quoted(pinned);
  if (v.quote == '"' || !plain_safe(pinned, v.flow)) return double_quoted(pinned);
  return pinned;
}

size_t indentation(std::string_view line) {
  size_t k = 0;
  while (k < line.size() && line[k] == ' ') ++k;
  return k;
}

// A plain value in block context goes on over the following lines indented deeper than its key
// (blank lines in between fold into it); a comment line ends it.
bool continues(std::string_view text, const std::vector<Line>& lines, size_t index,
               size_t key_column) {
  for (size_t n = index + 1; n < lines.size(); ++n) {
    std::string_view next = text.substr(lines[n].begin, lines[n].end - lines[n].begin);
    const size_t first = skip_blanks(next, 0);
    if (first == next.size()) continue;
    if (next[first] == '#') return false;
    return indentation(next) > key_column;
  }
  return false;
}

void collect_images(const YAML::Node& node, std::multimap<int, YAML::Node>& out, int depth) {
  if (depth > 200) return;
  if (node.IsMap()) {
    for (const auto& kv : node) {
      if (kv.first.IsScalar() && kv.first.Scalar() == "image") {
        out.emplace(line_of(kv.first), kv.second);
      }
      collect_images(kv.second, out, depth + 1);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) collect_images(item, out, depth + 1);
  }
}

struct Edit {
  int line = 0;
  std::string pinned;
  size_t begin = 0;  // the value's bytes in the text
  size_t end = 0;
  std::string with;
};

// `edits` are in text order and do not overlap.
std::string apply(std::string_view text, const std::vector<Edit>& edits) {
  std::string out;
  out.reserve(text.size() + 80 * edits.size());
  size_t at = 0;
  for (const Edit& e : edits) {
    out.append(text.substr(at, e.begin - at));
    out += e.with;
    at = e.end;
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace

Result<std::string> pin_images(std::string_view text, const std::string& file,
                               const std::vector<ImagePin>& pins) {
  std::map<int, std::string> by_line;
  for (const ImagePin& pin : pins) {
    if (pin.pinned.empty()) return usage(file, pin.line, "the pinned reference is empty");
    if (std::any_of(pin.pinned.begin(), pin.pinned.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
      return usage(file, pin.line, "the pinned reference contains a control character");
    }
    auto [it, inserted] = by_line.emplace(pin.line, pin.pinned);
    if (!inserted && it->second != pin.pinned) {
      return usage(file, pin.line, "pinned twice, to " + it->second + " and to " + pin.pinned);
    }
  }
  if (by_line.empty()) return std::string(text);

  const std::vector<Line> lines = split_lines(text);
  std::vector<Edit> edits;
  for (const auto& [number, pinned] : by_line) {
    if (number < 1 || static_cast<size_t>(number) > lines.size()) {
      return usage(file, number,
                   "no such line (the file has " + std::to_string(lines.size()) + " lines)");
    }
    const size_t index = static_cast<size_t>(number) - 1;
    const Line& l = lines[index];
    std::string_view line = text.substr(l.begin, l.end - l.begin);
    size_t begin = 0;
    if (index == 0 && line.starts_with("\xEF\xBB\xBF")) begin = 3;
    TRUSTCTL_TRY_ASSIGN(std::vector<Value> values, image_values(line, begin, file, number));
    if (values.empty()) return usage(file, number, "no image: key on this line");
    if (values.size() > 1) {
      return usage(file, number, "more than one image: key on this line; cannot tell which to pin");
    }
    const Value& v = values.front();
    if (v.quote == 0 && !v.flow && continues(text, lines, index, v.key_column)) {
      return usage(file, number, "image: is continued on the next line, which cannot be pinned");
    }
    edits.push_back({number, pinned, l.begin + v.begin, l.begin + v.end, replacement(v, pinned)});
  }

  // Read the result back: each pinned line must hold an image: key whose value is the pin.
  auto verify = [&](const std::vector<Edit>& applied) -> Result<std::string> {
    std::string out = apply(text, applied);
    auto docs = load_all(out, file);
    if (!docs.ok()) return docs.error();
    std::multimap<int, YAML::Node> images;
    for (const YAML::Node& doc : *docs) collect_images(doc, images, 0);
    for (const Edit& e : applied) {
      auto [first, last] = images.equal_range(e.line);
      const bool found = std::any_of(first, last, [&](const auto& entry) {
        const YAML::Node& value = entry.second;
        return value.IsScalar() && line_of(value) == e.line && value.Scalar() == e.pinned;
      });
      if (!found) {
        return usage(file, e.line,
                     "the rewritten image: does not read back as " + e.pinned +
                         " (is this line inside a block scalar or a multi-line value?)");
      }
    }
    return out;
  };
  auto all = verify(edits);
  if (all.ok()) return all;
  TRUSTCTL_TRY(load_all(text, file));  // a file that was not YAML to begin with says so
  // Name the pin that breaks the file, one edit at a time.
  for (const Edit& e : edits) {
    auto one = verify({e});
    if (one.ok()) continue;
    if (one.error().message().starts_with(file + ":" + std::to_string(e.line) +
                                          ": the rewritten")) {
      return one.error();
    }
    return usage(file, e.line,
                 "pinning the image on this line does not give YAML back (is it inside a flow "
                 "collection spread over several lines?): " +
                     one.error().message());
  }
  return all.error();
}

}  // namespace trustctl::admission

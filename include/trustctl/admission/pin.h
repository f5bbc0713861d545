// The text rewriter behind `trustctl admit --pin OUT`: writes a compose file or Kubernetes YAML
// back with some images pinned to their verified digest. Only the value of `image:` on the given
// lines changes; comments, order, quoting, indentation, blank lines, line endings and the presence
// of a final newline stay byte-identical.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trustctl/core/result.h"

namespace trustctl::admission {

struct ImagePin {
  int line = 0;        // 1-based line of the `image:` key in the file (as Container::line)
  std::string pinned;  // the full replacement, e.g. "localhost:5000/app:v1@sha256:<64hex>"
};

// Returns `text` with, on each pin's line, the value of the `image:` key replaced by `pinned`.
// The value keeps its quote style (plain, 'single' or "double"); a plain value whose replacement
// cannot be written plain is written double-quoted. A line listed twice must carry the same
// reference. The result is read back with yaml-cpp to check that each pinned line holds an
// `image:` key whose value is exactly `pinned`.
// Errors are kUsage naming "file:line: ..." when a line does not hold exactly one `image:` key
// with a one-line scalar value (a block scalar `image: |`, a value continued on the next line, an
// alias, an unterminated quote, a line number out of range, or no key on that line), and when the
// text is not YAML.
Result<std::string> pin_images(std::string_view text, const std::string& file,
                               const std::vector<ImagePin>& pins);

}  // namespace trustctl::admission

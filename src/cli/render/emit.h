// The render layer (docs/architecture.md): every result a command prints is a type declared
// TRUSTCTL_RENDERED in render/*.h; commands call emit() and never format output
// themselves. JSON keys are snake_case, except where another format is reproduced: the OCI
// descriptor fields (mediaType, digest, size) and `docker trust inspect`'s PascalCase
// (docs/commands.md, "JSON output").
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "../spec.h"

// Declares the two renderings of a result type, defined in the matching render/*.cc: to_json,
// the document `-o json` prints, and print_text, what a terminal shows.
#define TRUSTCTL_RENDERED(Type)          \
  nlohmann::json to_json(const Type& r); \
  void print_text(std::ostream& out, const Type& r)

namespace trustctl::cli {

template <typename Report>
void emit(Context& ctx, const Report& report) {
  if (ctx.json())
    ctx.out << to_json(report).dump(2) << "\n";
  else
    print_text(ctx.out, report);
}

}  // namespace trustctl::cli

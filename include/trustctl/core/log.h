// Diagnostics on stderr. Results go to stdout and never through here. Never pass secrets.
#pragma once

#include <string_view>

namespace trustctl::log {

enum class Level { kDebug, kInfo, kWarn, kError, kQuiet };

void set_level(Level level);
Level level();
bool debug_enabled();

void debug(std::string_view message);
void info(std::string_view message);
void warn(std::string_view message);
void error(std::string_view message);

}  // namespace trustctl::log

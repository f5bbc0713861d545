// trustctl: the entry point; the command line is run by app.cc, the commands live in cmd_*.cc.
#include <curl/curl.h>

#include <iostream>
#include <string>
#include <vector>

#include "app.h"

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  return trustctl::cli::run_cli(std::vector<std::string>(argv + 1, argv + argc), std::cout,
                                std::cerr);
}

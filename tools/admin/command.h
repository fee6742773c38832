// srsfs-admin subcommands register themselves here, one file per command group, so that main.cpp never
// changes when a command is added. A command's run function returns the process exit code.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace srsfs::admin {

using Setup = std::function<void(CLI::App& app)>;

struct CommandRegistry {
  static std::vector<Setup>& all() {
    static std::vector<Setup> setups;
    return setups;
  }
};

// Place one `static Register r([](CLI::App& app) { ... });` per command group at namespace scope.
struct Register {
  explicit Register(Setup s) { CommandRegistry::all().push_back(std::move(s)); }
};

// Set by a subcommand's callback; main returns it.
int& exit_code();

}  // namespace srsfs::admin

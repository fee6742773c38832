// srsfs-admin: operator tools. Each command group lives in its own cmd_*.cpp and registers itself.
#include <cstdio>
#include <exception>

#include "codec/error.h"
#include "tools/admin/command.h"

namespace srsfs::admin {
int& exit_code() {
  static int code = 0;
  return code;
}
}  // namespace srsfs::admin

int main(int argc, char** argv) {
  CLI::App app{"srsfs-admin: manage srsfs stores, archives and models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "srsfs 0.1.0");
  for (auto& setup : srsfs::admin::CommandRegistry::all()) setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const srsfs::Error& e) {
    std::fprintf(stderr, "srsfs-admin: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "srsfs-admin: %s\n", e.what());
    return 1;
  }
  return srsfs::admin::exit_code();
}

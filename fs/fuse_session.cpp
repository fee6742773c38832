#include "fs/fuse_session.h"

#include <memory>

#include <spdlog/spdlog.h>

#include "codec/error.h"

namespace srsfs::fs {

FuseSession::FuseSession(FuseFilesystem& fs, const std::vector<std::string>& args,
                         const std::filesystem::path& mountpoint) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));  // libfuse copies before changing
  argv.push_back(nullptr);
  fuse_args fa = FUSE_ARGS_INIT(int(args.size()), argv.data());
  const fuse_lowlevel_ops& ops = FuseFilesystem::operations();
  se_ = fuse_session_new(&fa, &ops, sizeof ops, &fs);
  fuse_opt_free_args(&fa);
  if (!se_) fail(Errc::invalid_argument, "cannot start FUSE on {}: libfuse refused the options (see above)",
                 mountpoint.string());
  if (fuse_session_mount(se_, mountpoint.c_str()) != 0) {
    fuse_session_destroy(se_);
    se_ = nullptr;
    fail(Errc::io, "cannot mount on {} (see above; is it an existing directory, and /dev/fuse usable?)",
         mountpoint.string());
  }
}

FuseSession::~FuseSession() {
  if (!se_) return;
  if (signals_) fuse_remove_signal_handlers(se_);
  fuse_session_unmount(se_);
  fuse_session_destroy(se_);
}

bool FuseSession::exited() const { return se_ && fuse_session_exited(se_) != 0; }

void FuseSession::install_signal_handlers() {
  if (fuse_set_signal_handlers(se_) != 0) fail(Errc::internal, "cannot install signal handlers");
  signals_ = true;
}

int FuseSession::loop(const LoopOptions& options) {
  if (options.single_thread) return fuse_session_loop(se_);
  struct CfgDeleter {
    void operator()(fuse_loop_config* c) const { fuse_loop_cfg_destroy(c); }
  };
  std::unique_ptr<fuse_loop_config, CfgDeleter> cfg(fuse_loop_cfg_create());
  if (!cfg) fail(Errc::internal, "cannot create the FUSE loop configuration");
  fuse_loop_cfg_set_clone_fd(cfg.get(), options.clone_fd ? 1 : 0);
  fuse_loop_cfg_set_max_threads(cfg.get(), options.max_threads);
  if (options.max_idle_threads >= 0) fuse_loop_cfg_set_idle_threads(cfg.get(), unsigned(options.max_idle_threads));
  return fuse_session_loop_mt(se_, cfg.get());
}

}  // namespace srsfs::fs

// srsfs-admin synth: write a physically modelled synthetic tomography scan (see codec/synth_scan.h).
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "codec/synth_scan.h"
#include "tools/admin/command.h"

namespace srsfs::admin {
namespace {

struct SynthArgs {
  std::string dir;
  uint32_t size = 2048;
  std::optional<uint32_t> width, height;
  codec::SynthOptions o;
};

void synth(SynthArgs& a) {
  a.o.width = a.width.value_or(a.size);
  a.o.height = a.height.value_or(a.size);
  codec::SynthSummary s = codec::write_synth_scan(a.dir, a.o);
  std::printf("synth: %u frames %ux%u seed %llu step %g deg -> %s in %.1f s; noise floor %.3f bits/pixel "
              "(cr %.4f, at most %.2f:1)\n",
              s.frames_written, a.o.width, a.o.height, static_cast<unsigned long long>(a.o.seed), a.o.step_deg,
              a.dir.c_str(), s.seconds, s.noise_floor_bits, s.noise_floor_bits / 16, 16 / s.noise_floor_bits);
}

Register reg([](CLI::App& app) {
  auto a = std::make_shared<SynthArgs>();
  auto* c = app.add_subcommand("synth", "Write a synthetic tomography scan (frame_00000.tif ... and synth.json)");
  c->add_option("OUT_DIR", a->dir, "output directory (created if needed)")->required();
  c->add_option("--size", a->size, "square frame size (default 2048)")->check(CLI::Range(1u, 65536u));
  c->add_option("--width", a->width, "frame width (overrides --size)")->check(CLI::Range(1u, 65536u));
  c->add_option("--height", a->height, "frame height (overrides --size)")->check(CLI::Range(1u, 65536u));
  c->add_option("--frames", a->o.frames, "number of frames (default 16)")->check(CLI::Range(1u, 100000u));
  c->add_option("--seed", a->o.seed, "random seed (default 1)");
  c->add_option("--step", a->o.step_deg, "rotation per frame in degrees (default 0.1)");
  c->add_option("--flat", a->o.flat, "mean open-beam photon count (default 20000)");
  c->add_option("--flat-variation", a->o.flat_variation, "flat-field variation, +- fraction (default 0.15)");
  c->add_option("--drift", a->o.drift, "beam drift over frames, +- fraction (default 0.01)");
  c->add_option("--dark", a->o.dark, "dark offset in counts (default 100)");
  c->add_option("--read-noise", a->o.read_noise, "Gaussian read noise sigma in counts (default 2)");
  c->add_option("--rows-per-strip", a->o.rows_per_strip, "TIFF rows per strip (default: one strip)");
  c->add_option("--threads", a->o.threads, "threads (default: every core)");
  c->callback([a] { synth(*a); });
});

}  // namespace
}  // namespace srsfs::admin

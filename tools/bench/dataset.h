// A directory of 16-bit TIFF frames read the way srsfs reads them (codec::probe_tiff), in name order.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "codec/frame.h"
#include "codec/tiff_layout.h"

namespace srsfs::bench {

struct Dataset {
  std::filesystem::path dir;
  std::vector<std::string> names;             // the frames' file names, sorted
  std::vector<codec::Frame16> frames;         // all the same width × height
  std::vector<codec::TiffLayout> layouts;     // per frame (for the srsfs size: layout records)
  uint64_t file_bytes = 0;                    // sum of the TIFF file sizes read
  std::vector<std::string> skipped;           // "name: reason" for files that are not plain gray16 TIFFs

  uint32_t width() const { return frames.empty() ? 0 : frames[0].width; }
  uint32_t height() const { return frames.empty() ? 0 : frames[0].height; }
  size_t frame_pixels() const { return size_t(width()) * height(); }
  uint64_t raw_pixel_bytes() const { return uint64_t(frames.size()) * frame_pixels() * 2; }
};

// Reads every *.tif / *.tiff in `dir` (not recursive), at most `max_frames` of them (0 = all). Throws
// Errc::invalid_argument if there is no plain gray16 frame or the frames differ in size.
Dataset load_dataset(const std::filesystem::path& dir, size_t max_frames);

}  // namespace srsfs::bench

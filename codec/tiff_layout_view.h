// The segments of a TiffLayout in file order, with the bookkeeping a random-access rebuild needs
// (internal to the codec). Building it validates the layout, so the rebuild never indexes out of range.
#pragma once
#include <cstdint>
#include <vector>

#include "codec/error.h"
#include "codec/tiff_layout.h"

namespace srsfs::codec::detail {

struct FileOrderSegment {
  uint64_t offset;       // in the file
  uint64_t length;
  uint64_t pixel_start;  // byte position in the pixel stream (row-major, file byte order)
  uint64_t skel_start;   // skeleton bytes that precede this segment in the file
};

class LayoutView {
 public:
  // Throws `code` (invalid_argument for caller structs, corrupt for parsed records) unless the segments
  // are non-empty, lie inside the file, do not overlap, total width*height*2 bytes, and the skeleton holds
  // exactly the remaining bytes.
  LayoutView(const TiffLayout& layout, Errc code);
  const std::vector<FileOrderSegment>& segments() const { return segs_; }

 private:
  std::vector<FileOrderSegment> segs_;
};

}  // namespace srsfs::codec::detail

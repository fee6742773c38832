// libtiff over memory buffers (internal to the codec). Messages go to the handle's own handlers, never to
// stderr and never to libtiff's process-wide handlers, so concurrent probes do not interfere.
#pragma once
#include <memory>
#include <string>

#include <tiffio.h>

#include "codec/bytes.h"

namespace srsfs::codec::detail {

// libtiff's errors and warnings for one handle, capped so a hostile file cannot grow them without bound.
struct TiffMessages {
  std::string errors;
  std::string warnings;
};

struct TiffCloser {
  void operator()(TIFF* t) const noexcept { TIFFClose(t); }
};
using TiffHandle = std::unique_ptr<TIFF, TiffCloser>;

// Reads a TIFF from a caller-owned span, which must outlive this object.
class TiffMemReader {
 public:
  // mode: libtiff open mode, e.g. "rc" (read, no strip chopping). max_alloc bounds any single allocation.
  TiffMemReader(ByteSpan data, const char* name, const char* mode, tmsize_t max_alloc);
  TiffMemReader(const TiffMemReader&) = delete;
  TiffMemReader& operator=(const TiffMemReader&) = delete;
  TIFF* get() const { return tif_.get(); }  // nullptr when libtiff refused to open
  const TiffMessages& messages() const { return msgs_; }

  struct Stream {
    ByteSpan data;
    uint64_t pos = 0;
  };

 private:
  Stream stream_;
  TiffMessages msgs_;
  TiffHandle tif_;  // declared last: closed before the stream it reads
};

// Writes a TIFF into a growing buffer.
class TiffMemWriter {
 public:
  // mode: "w" plus "l"/"b" for byte order, "8" for BigTIFF.
  TiffMemWriter(const char* name, const char* mode);
  TiffMemWriter(const TiffMemWriter&) = delete;
  TiffMemWriter& operator=(const TiffMemWriter&) = delete;
  TIFF* get() const { return tif_.get(); }
  const TiffMessages& messages() const { return msgs_; }
  // Closes the handle (flushing the last directory) and hands over the file bytes. Throws Errc::internal
  // when libtiff reported an error.
  Bytes finish();

  struct Stream {
    Bytes data;
    uint64_t pos = 0;
  };

 private:
  Stream stream_;
  TiffMessages msgs_;
  std::string name_;
  TiffHandle tif_;
};

}  // namespace srsfs::codec::detail

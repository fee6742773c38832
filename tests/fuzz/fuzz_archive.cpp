// Archive reader + full extraction (verify mode) over arbitrary bytes: must throw srsfs::Error or succeed.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "codec/archive.h"
#include "codec/archive_extract.h"
#include "codec/error.h"
#include "codec/file_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/srsfs-fuzz-archive-" + std::to_string(::getpid()) + ".srs";
  srsfs::write_file_atomic(path, srsfs::ByteSpan(data, size), 0600, false);
  try {
    srsfs::codec::ArchiveReader r(path);
    srsfs::codec::ExtractOptions opts;
    opts.threads = 1;
    srsfs::codec::extract_archive(r, std::nullopt, opts);
  } catch (const srsfs::Error&) {
  }
  return 0;
}

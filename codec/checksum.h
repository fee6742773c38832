// Checksums of stored and original bytes: XXH3-64 from Debian's libxxhash.
#pragma once
#include <cstdint>

#include "codec/bytes.h"

namespace srsfs {

uint64_t checksum64(ByteSpan data) noexcept;

// Streaming form, for files read in pieces.
class Checksum64 {
 public:
  Checksum64();
  ~Checksum64();
  Checksum64(const Checksum64&) = delete;
  Checksum64& operator=(const Checksum64&) = delete;
  void update(ByteSpan data) noexcept;
  uint64_t digest() const noexcept;

 private:
  void* state_;  // XXH3_state_t*, owned
};

}  // namespace srsfs

#include "codec/checksum.h"

#include <xxhash.h>

namespace srsfs {

uint64_t checksum64(ByteSpan data) noexcept { return XXH3_64bits(data.data(), data.size()); }

Checksum64::Checksum64() : state_(XXH3_createState()) {
  if (!state_) throw std::bad_alloc();
  XXH3_64bits_reset(static_cast<XXH3_state_t*>(state_));
}
Checksum64::~Checksum64() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }
void Checksum64::update(ByteSpan data) noexcept {
  XXH3_64bits_update(static_cast<XXH3_state_t*>(state_), data.data(), data.size());
}
uint64_t Checksum64::digest() const noexcept { return XXH3_64bits_digest(static_cast<XXH3_state_t*>(state_)); }

}  // namespace srsfs

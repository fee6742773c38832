// Test-only generator of the TIFF fixtures under tests/fixtures/tiff/. The committed .tif files are what
// the tests read (so a libtiff upgrade cannot silently change them); SRSFS_REGEN_TIFF_FIXTURES=1 makes the
// TiffFixtures.Regenerate test write them again.
#pragma once
#include <string>
#include <vector>

#include "codec/bytes.h"
#include "codec/tiff_layout.h"

namespace srsfs::test {

struct TiffFixture {
  std::string file;             // name under tests/fixtures/tiff/
  codec::TiffClass expected;    // what probe_tiff must say
  Bytes bytes;
};

std::vector<TiffFixture> generate_tiff_fixtures();

}  // namespace srsfs::test

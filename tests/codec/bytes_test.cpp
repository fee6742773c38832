#include <gtest/gtest.h>

#include "codec/bytes.h"
#include "codec/checksum.h"

namespace srsfs {
namespace {

TEST(Bytes, RoundTripsEveryFieldKind) {
  Bytes buf;
  ByteWriter w(buf);
  w.u8(7);
  w.u16(0xBEEF);
  w.u32(0xDEADBEEF);
  w.u64(0x0123456789ABCDEFull);
  w.varint(300);
  w.str("frame_00001.tif");
  ByteReader r(buf);
  EXPECT_EQ(r.u8(), 7);
  EXPECT_EQ(r.u16(), 0xBEEF);
  EXPECT_EQ(r.u32(), 0xDEADBEEFu);
  EXPECT_EQ(r.u64(), 0x0123456789ABCDEFull);
  EXPECT_EQ(r.varint(), 300u);
  EXPECT_EQ(r.str(), "frame_00001.tif");
  EXPECT_TRUE(r.done());
}

TEST(Bytes, TruncationAndHostileLengthsThrowCorrupt) {
  Bytes buf;
  ByteWriter w(buf);
  w.varint(1u << 30);  // a length far beyond the data
  ByteReader r(buf);
  try {
    r.blob();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::corrupt);
  }
  ByteReader r2(ByteSpan(buf.data(), 0));
  EXPECT_THROW(r2.u32(), Error);
}

TEST(Checksum, StreamingEqualsOneShot) {
  Bytes data(10000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 31);
  Checksum64 c;
  c.update(ByteSpan(data).first(1234));
  c.update(ByteSpan(data).subspan(1234));
  EXPECT_EQ(c.digest(), checksum64(data));
  data[5000] ^= 1;
  EXPECT_NE(c.digest(), checksum64(data));
}

}  // namespace
}  // namespace srsfs

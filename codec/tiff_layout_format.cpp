// TIFF layout record, format version 1 (little-endian, varints are LEB128):
//   u8      version = 1
//   u8      flags: bit 0 big-endian file, bit 1 body is one zstd frame
//   varint  width, height, file_size
//   varint  body size (uncompressed)
//   blob    body (varint length + bytes; zstd-compressed when flag bit 1)
//   u32     low 32 bits of XXH3-64 of every preceding byte (a flipped bit must not yield another layout)
// body:
//   varint  segment count
//   per segment, in pixel order: zigzag varint (offset - end of previous segment), varint length
//   bytes   skeleton (the rest of the body; its size is file_size - width*height*2)
// Consecutive strips give offset deltas of 0 and equal lengths, which zstd reduces to almost nothing.
#include <algorithm>
#include <memory>

#include <zstd.h>

#include "codec/checksum.h"
#include "codec/tiff_layout.h"
#include "codec/tiff_layout_view.h"

namespace srsfs::codec {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint8_t kFlagBigEndian = 1;
constexpr uint8_t kFlagZstd = 2;
constexpr uint8_t kKnownFlags = kFlagBigEndian | kFlagZstd;
constexpr int kZstdLevel = 9;
// A segment costs at most 20 bytes in the body; there is at most one per row.
constexpr uint64_t kMaxBody = kTiffMaxSkeleton + 20ull * (1u << 24);

uint64_t zigzag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
int64_t unzigzag(uint64_t v) { return int64_t(v >> 1) ^ -int64_t(v & 1); }

}  // namespace

Bytes serialize_layout(const TiffLayout& layout) {
  detail::LayoutView check(layout, Errc::invalid_argument);  // never write a record parse would refuse

  Bytes body;
  ByteWriter b(body);
  b.varint(layout.segments.size());
  uint64_t prev_end = 0;
  for (const PixelSegment& s : layout.segments) {
    b.varint(zigzag(int64_t(s.offset - prev_end)));
    b.varint(s.length);
    prev_end = s.offset + s.length;
  }
  b.bytes(layout.skeleton);

  Bytes packed(ZSTD_compressBound(body.size()));
  size_t n = ZSTD_compress(packed.data(), packed.size(), body.data(), body.size(), kZstdLevel);
  bool use_zstd = !ZSTD_isError(n) && n < body.size();
  packed.resize(use_zstd ? n : 0);

  Bytes out;
  ByteWriter w(out);
  w.u8(kVersion);
  w.u8(uint8_t((layout.big_endian ? kFlagBigEndian : 0) | (use_zstd ? kFlagZstd : 0)));
  w.varint(layout.width);
  w.varint(layout.height);
  w.varint(layout.file_size);
  w.varint(body.size());
  w.blob(use_zstd ? ByteSpan(packed) : ByteSpan(body));
  w.u32(uint32_t(checksum64(out)));
  return out;
}

TiffLayout parse_layout(ByteSpan record) {
  if (record.size() < 4) fail(Errc::corrupt, "TIFF layout record: {} bytes, too short", record.size());
  ByteSpan content = record.first(record.size() - 4);
  if (ByteReader(record.last(4)).u32() != uint32_t(checksum64(content)))
    fail(Errc::corrupt, "TIFF layout record: checksum mismatch");
  ByteReader r(content, "TIFF layout record");
  uint8_t version = r.u8();
  if (version != kVersion) fail(Errc::corrupt, "TIFF layout record: unknown format version {}", version);
  uint8_t flags = r.u8();
  if (flags & ~kKnownFlags) fail(Errc::corrupt, "TIFF layout record: unknown flags {:#x}", flags);

  TiffLayout l;
  l.big_endian = flags & kFlagBigEndian;
  uint64_t w = r.varint(), h = r.varint();
  l.file_size = r.varint();
  if (w == 0 || h == 0 || w > UINT32_MAX || h > UINT32_MAX)
    fail(Errc::corrupt, "TIFF layout record: bad image size {}x{}", w, h);
  if (l.file_size > kTiffMaxFileSize) fail(Errc::corrupt, "TIFF layout record: file size {} too large", l.file_size);
  l.width = uint32_t(w);
  l.height = uint32_t(h);
  if (uint64_t(l.width) * l.height > l.file_size / 2)
    fail(Errc::corrupt, "TIFF layout record: {}x{} pixels exceed the {}-byte file", w, h, l.file_size);
  const uint64_t skeleton_size = l.file_size - uint64_t(l.width) * l.height * 2;
  if (skeleton_size > kTiffMaxSkeleton)
    fail(Errc::corrupt, "TIFF layout record: skeleton of {} bytes exceeds the limit", skeleton_size);

  uint64_t body_size = r.varint();
  if (body_size > kMaxBody) fail(Errc::corrupt, "TIFF layout record: body of {} bytes too large", body_size);
  ByteSpan stored = r.blob();
  r.expect_done();
  Bytes unpacked;
  ByteSpan body = stored;
  if (flags & kFlagZstd) {
    unsigned long long declared = ZSTD_getFrameContentSize(stored.data(), stored.size());
    if (declared != body_size)
      fail(Errc::corrupt, "TIFF layout record: compressed body declares {} bytes, expected {}", declared, body_size);
    unpacked.resize(size_t(body_size));
    size_t n = ZSTD_decompress(unpacked.data(), unpacked.size(), stored.data(), stored.size());
    if (ZSTD_isError(n) || n != body_size)
      fail(Errc::corrupt, "TIFF layout record: body does not decompress ({})",
           ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short");
    body = unpacked;
  } else if (stored.size() != body_size) {
    fail(Errc::corrupt, "TIFF layout record: body of {} bytes, expected {}", stored.size(), body_size);
  }

  ByteReader b(body, "TIFF layout body");
  size_t count = b.count(2);
  if (count == 0 || count > l.height) fail(Errc::corrupt, "TIFF layout record: {} segments for {} rows", count, l.height);
  l.segments.reserve(count);
  uint64_t prev_end = 0;
  for (size_t i = 0; i < count; ++i) {
    int64_t delta = unzigzag(b.varint());
    uint64_t length = b.varint();
    uint64_t offset = prev_end + uint64_t(delta);  // wraps on hostile input; LayoutView rejects it
    if ((delta < 0 && uint64_t(-(delta + 1)) >= prev_end) || offset > l.file_size || length > l.file_size - offset)
      fail(Errc::corrupt, "TIFF layout record: segment {} lies outside the {}-byte file", i, l.file_size);
    l.segments.push_back({offset, length});
    prev_end = offset + length;
  }
  if (b.remaining() != skeleton_size)
    fail(Errc::corrupt, "TIFF layout record: skeleton of {} bytes, expected {}", b.remaining(), skeleton_size);
  ByteSpan skel = b.bytes(b.remaining());
  l.skeleton.assign(skel.begin(), skel.end());

  detail::LayoutView check(l, Errc::corrupt);
  return l;
}

}  // namespace srsfs::codec

#include "codec/tiff_memio.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>

#include "codec/error.h"

namespace srsfs::codec::detail {
namespace {

constexpr size_t kMaxMessageChars = 2000;

int capture(std::string& into, const char* module, const char* fmt, va_list ap) {
  if (into.size() >= kMaxMessageChars) return 1;
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  if (!into.empty()) into += "; ";
  if (module && *module) {
    into += module;
    into += ": ";
  }
  into += buf;
  if (into.size() > kMaxMessageChars) into.resize(kMaxMessageChars);
  return 1;  // handled: libtiff must not call its global handler
}

int on_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  return capture(static_cast<TiffMessages*>(user)->errors, module, fmt, ap);
}
int on_warning(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  return capture(static_cast<TiffMessages*>(user)->warnings, module, fmt, ap);
}

struct OptionsFree {
  void operator()(TIFFOpenOptions* o) const noexcept { TIFFOpenOptionsFree(o); }
};
using Options = std::unique_ptr<TIFFOpenOptions, OptionsFree>;

Options make_options(TiffMessages& msgs, tmsize_t max_alloc) {
  Options o(TIFFOpenOptionsAlloc());
  if (!o) fail(Errc::internal, "libtiff: cannot allocate open options");
  TIFFOpenOptionsSetErrorHandlerExtR(o.get(), on_error, &msgs);
  TIFFOpenOptionsSetWarningHandlerExtR(o.get(), on_warning, &msgs);
  if (max_alloc > 0) TIFFOpenOptionsSetMaxSingleMemAlloc(o.get(), max_alloc);
  return o;
}

toff_t seek_to(uint64_t& pos, uint64_t size, toff_t off, int whence) {
  uint64_t base = whence == SEEK_CUR ? pos : whence == SEEK_END ? size : 0;
  // toff_t is unsigned; libtiff passes negative relative offsets as wrapped values.
  uint64_t target = base + uint64_t(off);
  if (target > (uint64_t(1) << 62)) return toff_t(-1);
  pos = target;
  return pos;
}

// Reader callbacks.
using RS = TiffMemReader::Stream;
tmsize_t r_read(thandle_t h, void* buf, tmsize_t n) {
  auto* s = static_cast<RS*>(h);
  if (n <= 0 || s->pos >= s->data.size()) return 0;
  size_t k = size_t(std::min<uint64_t>(uint64_t(n), s->data.size() - s->pos));
  std::memcpy(buf, s->data.data() + s->pos, k);
  s->pos += k;
  return tmsize_t(k);
}
tmsize_t r_write(thandle_t, void*, tmsize_t) { return -1; }
toff_t r_seek(thandle_t h, toff_t off, int whence) {
  auto* s = static_cast<RS*>(h);
  return seek_to(s->pos, s->data.size(), off, whence);
}
int r_close(thandle_t) { return 0; }
toff_t r_size(thandle_t h) { return static_cast<RS*>(h)->data.size(); }
int r_map(thandle_t h, void** base, toff_t* size) {
  auto* s = static_cast<RS*>(h);
  // libtiff only reads through the mapping in read mode.
  *base = const_cast<uint8_t*>(s->data.data());
  *size = s->data.size();
  return 1;
}
void r_unmap(thandle_t, void*, toff_t) {}

// Writer callbacks.
using WS = TiffMemWriter::Stream;
tmsize_t w_read(thandle_t h, void* buf, tmsize_t n) {
  auto* s = static_cast<WS*>(h);
  if (n <= 0 || s->pos >= s->data.size()) return 0;
  size_t k = size_t(std::min<uint64_t>(uint64_t(n), s->data.size() - s->pos));
  std::memcpy(buf, s->data.data() + s->pos, k);
  s->pos += k;
  return tmsize_t(k);
}
tmsize_t w_write(thandle_t h, void* buf, tmsize_t n) {
  auto* s = static_cast<WS*>(h);
  if (n < 0) return -1;
  uint64_t end = s->pos + uint64_t(n);
  if (end > s->data.size()) s->data.resize(size_t(end));
  if (n) std::memcpy(s->data.data() + s->pos, buf, size_t(n));
  s->pos = end;
  return n;
}
toff_t w_seek(thandle_t h, toff_t off, int whence) {
  auto* s = static_cast<WS*>(h);
  return seek_to(s->pos, s->data.size(), off, whence);
}
toff_t w_size(thandle_t h) { return static_cast<WS*>(h)->data.size(); }
int w_map(thandle_t, void**, toff_t*) { return 0; }

}  // namespace

TiffMemReader::TiffMemReader(ByteSpan data, const char* name, const char* mode, tmsize_t max_alloc)
    : stream_{data, 0} {
  Options o = make_options(msgs_, max_alloc);
  tif_.reset(TIFFClientOpenExt(name, mode, &stream_, r_read, r_write, r_seek, r_close, r_size, r_map,
                               r_unmap, o.get()));
}

TiffMemWriter::TiffMemWriter(const char* name, const char* mode) : name_(name) {
  Options o = make_options(msgs_, 0);
  tif_.reset(TIFFClientOpenExt(name, mode, &stream_, w_read, w_write, w_seek, r_close, w_size, w_map,
                               r_unmap, o.get()));
  if (!tif_) fail(Errc::internal, "{}: libtiff cannot open an in-memory TIFF for writing: {}", name_, msgs_.errors);
}

Bytes TiffMemWriter::finish() {
  tif_.reset();  // TIFFClose writes the pending directory
  if (!msgs_.errors.empty()) fail(Errc::internal, "{}: libtiff failed to write: {}", name_, msgs_.errors);
  return std::move(stream_.data);
}

}  // namespace srsfs::codec::detail

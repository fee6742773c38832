#include "codec/block_codec.h"

#include "codec/error.h"
#include "codec/lms_codec.h"
#include "codec/paper_codec.h"

namespace srsfs::codec {

const char* model_kind_name(ModelKind k) noexcept {
  switch (k) {
    case ModelKind::lms: return "lms";
    case ModelKind::fc: return "fc";
    case ModelKind::lstm: return "lstm";
    case ModelKind::gru: return "gru";
  }
  return "unknown";
}

std::optional<ModelKind> parse_model_kind(std::string_view s) noexcept {
  for (ModelKind k : {ModelKind::lms, ModelKind::fc, ModelKind::lstm, ModelKind::gru})
    if (s == model_kind_name(k)) return k;
  return std::nullopt;
}

std::unique_ptr<BlockCodec> make_block_codec(const ScanModel& model) {
  switch (model.kind) {
    case ModelKind::lms:
      if (!model.params.empty()) fail(Errc::corrupt, "lms model: unexpected {} parameter bytes", model.params.size());
      return make_lms_block_codec();
    case ModelKind::fc:
    case ModelKind::lstm:
    case ModelKind::gru:
      return make_paper_block_codec(model);
  }
  fail(Errc::corrupt, "unknown model kind {}", int(model.kind));
}

}  // namespace srsfs::codec

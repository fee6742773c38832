#include "codec/train/scan_trainer.h"

#include "codec/train/paper_train.h"

namespace srsfs::codec {

ModelTrainer make_model_trainer(int threads) {
  return [threads](const std::vector<const Frame16*>& sample, const CodecParams& params) {
    if (params.model == ModelKind::lms) return ScanModel{};
    // One run of consecutive frames: differences are taken within it, as in a block.
    std::vector<uint16_t> px;
    for (const Frame16* f : sample) px.insert(px.end(), f->pixels.begin(), f->pixels.end());
    std::vector<BlockView> runs;
    if (!sample.empty())
      runs.push_back(BlockView{px.data(), uint32_t(sample.size()), sample[0]->height, sample[0]->width});
    PaperTrainOptions opt;
    opt.kind = params.model;
    opt.context = params.context;
    opt.escape_fraction = params.escape_fraction;
    opt.threads = threads;
    return train_paper_model(runs, opt);
  };
}

}  // namespace srsfs::codec

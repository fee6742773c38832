// The ModelTrainer that scan encoders use for the paper modes (fc/lstm/gru): LibTorch training on the
// scan's first frames, quantised to the integer model the codec runs.
#pragma once
#include "codec/scan_encoder.h"

namespace srsfs::codec {

// A trainer for every model kind (lms needs none and returns an empty model). `threads` is LibTorch's.
ModelTrainer make_model_trainer(int threads = 2);

}  // namespace srsfs::codec

// Training options for the torch tests: a few seconds on one thread (no feature cache, a 60/40
// song-level split, batches of 8, chunks of `chunk_seconds` every second), shared by the train,
// ImageNet and WaveGAN tests.
#pragma once

#include <string>

#include "genre/train.h"

namespace genre::test {

inline TrainOptions small_train_options(const std::string& data, const std::string& out, const std::string& model,
                                        int epochs, double chunk_seconds) {
  TrainOptions o;
  o.data = data;
  o.out = out;
  o.model = model;
  o.split = "stratified:60/40/0";
  o.epochs = epochs;
  o.batch_size = 8;
  o.lr = 1e-3;
  o.threads = 1;
  o.jobs = 2;
  o.cache_dir = "none";
  o.frontend.chunk_seconds = chunk_seconds;
  o.frontend.chunk_hop = 1;
  return o;
}

}  // namespace genre::test
